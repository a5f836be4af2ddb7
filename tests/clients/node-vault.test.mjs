// node-vault against a running `podpass dev`, unchanged: the tutorial end to end.
// Environment: PODPASS_ADDR, PODPASS_ROOT_TOKEN, PODPASS_BIN, FIXTURES.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vaultClient from 'node-vault';

const { PODPASS_ADDR: endpoint, PODPASS_ROOT_TOKEN: rootToken, PODPASS_BIN: podpass, FIXTURES: fixtures } = process.env;
const key = join(fixtures, 'keys', 'rsa-2048.key.pem');

function mint(namespace, name, ttl = '1h') {
  return execFileSync(podpass, ['token', 'mint', '--key', key, '--namespace', namespace, '--name', name, '--ttl', ttl], { encoding: 'utf8' }).trim();
}

async function login(role, namespace, name, ttl) {
  const client = vaultClient({ apiVersion: 'v1', endpoint });
  const response = await client.kubernetesLogin({ mount_point: 'kubernetes', role, jwt: mint(namespace, name, ttl) });
  return { client, response };
}

const root = vaultClient({ apiVersion: 'v1', endpoint, token: rootToken });

before(async () => {
  const status = await root.status();
  assert.equal(status.sealed, false);
  const methods = await root.auths();
  if (methods.data['kubernetes/']) await root.disableAuth({ mount_point: 'kubernetes' });
  await root.enableAuth({ mount_point: 'kubernetes', type: 'kubernetes' });
  await root.write('auth/kubernetes/config', {
    kubernetes_host: 'https://kubernetes.default.svc:443',
    pem_keys: [readFileSync(join(fixtures, 'keys', 'rsa-2048.pub.pem'), 'utf8')],
    // No cluster to ask TokenReview here: the mount explicitly trusts the signature alone.
    disable_token_review: true,
  });
  for (const name of ['grade-api', 'payment-api']) {
    await root.addPolicy({ name, rules: readFileSync(join(fixtures, 'tutorial', 'policies', `${name}.hcl`), 'utf8') });
  }
  await root.write('auth/kubernetes/role/grade-api', {
    bound_service_account_names: 'grade-api-sa', bound_service_account_namespaces: 'grade-api', policies: 'grade-api', ttl: '1h',
  });
  await root.write('auth/kubernetes/role/payment-api', {
    bound_service_account_names: 'payment-sa', bound_service_account_namespaces: 'payment', policies: 'payment-api', ttl: '1h',
  });
  await root.write('auth/kubernetes/role/short', {
    bound_service_account_names: 'grade-api-sa', bound_service_account_namespaces: 'grade-api', policies: 'grade-api', ttl: '2s',
  });
  await root.write('secret/data/grade-api/db', { data: { password: 'grades' } });
  await root.write('secret/data/payment/db', { data: { password: 'cards' } });
});

test('exercise 2: grade-api logs in for an hour with its policies', async () => {
  const { response } = await login('grade-api', 'grade-api', 'grade-api-sa');
  assert.equal(response.auth.lease_duration, 3600);
  assert.deepEqual(response.auth.policies, ['default', 'grade-api']);
});

test('exercise 3: each namespace reads only its own secrets', async () => {
  const grade = (await login('grade-api', 'grade-api', 'grade-api-sa')).client;
  const payment = (await login('payment-api', 'payment', 'payment-sa')).client;
  assert.deepEqual((await grade.read('secret/data/grade-api/db')).data.data, { password: 'grades' });
  assert.deepEqual((await payment.read('secret/data/payment/db')).data.data, { password: 'cards' });
  await assert.rejects(grade.read('secret/data/payment/db'), (e) => e.response.statusCode === 403);
  await assert.rejects(payment.read('secret/data/grade-api/db'), (e) => e.response.statusCode === 403);
});

test('a token from the wrong namespace is refused with Vault\'s message', async () => {
  await assert.rejects(login('grade-api', 'payment', 'grade-api-sa'), (e) => e.response.statusCode === 403 && /namespace not authorized/.test(e.message));
});

test('lookup-self, renew-self and revoke-self', async () => {
  const { client } = await login('grade-api', 'grade-api', 'grade-api-sa');
  const looked = await client.tokenLookupSelf();
  assert.deepEqual(looked.data.policies, ['default', 'grade-api']);
  const renewed = await client.tokenRenewSelf({ increment: '30m' });
  assert.equal(renewed.auth.lease_duration, 1800);
  await client.tokenRevokeSelf();
  await assert.rejects(client.tokenLookupSelf(), (e) => e.response.statusCode === 403);
});

test('an expired token is refused', async () => {
  const { client, response } = await login('short', 'grade-api', 'grade-api-sa');
  assert.equal(response.auth.lease_duration, 2);
  await client.tokenLookupSelf();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await assert.rejects(client.tokenLookupSelf(), (e) => e.response.statusCode === 403);
});
