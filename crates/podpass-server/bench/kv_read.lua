-- wrk: read one KV v2 secret with the token from the environment.
wrk.method = "GET"
wrk.path = "/v1/secret/data/grade-api/db"
wrk.headers["X-Vault-Token"] = os.getenv("TOKEN")
