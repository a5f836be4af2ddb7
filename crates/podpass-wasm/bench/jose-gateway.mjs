// What a hand-written JavaScript gateway does with jose, the baseline the login benchmarks
// measure podpass against: verify the service-account JWT, then check the role's bindings by
// hand. Plain JavaScript with jose passed in, so the same code runs in Node (bench/login.mjs)
// and inside workerd (bench/workerd-login.mjs).

/** The tutorial's `grade-api` role, as tests/fixtures/configuration/tutorial.json defines it. */
export const role = { names: ["grade-api-sa"], namespaces: ["grade-api"], policies: ["default", "grade-api"], ttl: 3600 };

/** The JWS algorithms Vault's Kubernetes auth accepts. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"];

/** Verifies `jwt` with `key` (a key jose imported) and checks the role's bindings; throws when refused. */
export async function joseLogin(jose, key, jwt) {
  const { payload } = await jose.jwtVerify(jwt, key, { algorithms: ALGORITHMS, clockTolerance: 60 });
  const k8s = payload["kubernetes.io"];
  const name = k8s?.serviceaccount?.name;
  const namespace = k8s?.namespace;
  if (!k8s?.serviceaccount?.uid || payload.sub !== `system:serviceaccount:${namespace}:${name}`) throw new Error("invalid claims");
  if (!role.names.includes(name)) throw new Error("service account name not authorized");
  if (!role.namespaces.includes(namespace)) throw new Error("namespace not authorized");
  return { policies: role.policies, lease_duration: role.ttl, metadata: { service_account_name: name, service_account_namespace: namespace } };
}
