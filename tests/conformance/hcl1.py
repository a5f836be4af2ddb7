"""Policies in Vault's HCL1 dialect for the differential corpus: layouts, strings, numbers,
heredocs and comments that HCL1 reads differently from HCL2, and syntax errors. Each entry is
(policy text, paths whose capabilities a token holding only that policy is asked about). Both
servers must accept or refuse each text alike and grant the same capabilities; only the words
of a syntax error differ (pinned in expected.py)."""

POLICIES = [
    # Newlines mean nothing; commas may separate items, at the top level too.
    ('path "a" { capabilities = ["read"]\n}\n', ["a"]),
    ('path "a" {\n  capabilities = ["read"] }\n', ["a"]),
    ('path "a" { capabilities = ["read"] policy = "write" }', ["a"]),
    ('path "a" { capabilities = ["read"], policy = "write" }, path "b" { capabilities = ["list"] }', ["a", "b"]),
    ('path "a" { capabilities = ["read",] }', ["a"]),
    # Keys and labels: bare words, quoted keys, the top-level key quoted.
    ('path a { capabilities = ["read"] }', ["a"]),
    ('path "a" { "capabilities" = ["read"] }', ["a"]),
    ('"path" "a" { capabilities = ["read"] }', ["a"]),
    ('path "a.b-c" { capabilities = ["read"] }', ["a.b-c"]),
    ('name = "x"\npath "a" { capabilities = ["read"] }', ["a"]),
    ('path = { "a" = { capabilities = ["read"] } }', ["a", "path"]),
    # Strings: Go's escapes; ${…} and $${…} are text.
    ('path "a" { capabilities = ["re\\u0061d", "\\x6cist", "d\\145lete"] }', ["a"]),
    ('path "k/${x}" { capabilities = ["read"] }', ["k/${x}", "k/x"]),
    ('path "k/$${x}" { capabilities = ["read"] }', ["k/$${x}", "k/${x}"]),
    ('path "a" { capabilities = ["re\\"ad"] }', ["a"]),
    ('path "a" { capabilities = ["${"read"}"] }', ["a"]),
    # Heredocs end with a newline, which no capability has.
    ('path "a" { capabilities = [<<EOF\nread\nEOF\n] }', ["a"]),
    ('path "a" {\n  capabilities = ["read"]\n  comment = <<-EOT\n    hi\n  EOT\n}\n', ["a"]),
    ('path "a" {\n  capabilities = ["read"]\n  comment = <<EOT\nx\nEOT \n}\n', ["a"]),
    # Numbers as Go reads them: hex, octal, floats, exponents.
    ('path "a" { capabilities = ["read"] min_wrapping_ttl = 0x10 max_wrapping_ttl = 017 }', ["a"]),
    ('path "a" { capabilities = ["read"] min_wrapping_ttl = 1e3 max_wrapping_ttl = 1.5 }', ["a"]),
    ('path "a" { capabilities = ["read"] min_wrapping_ttl = -1.5e1 }', ["a"]),
    # Comments of every kind.
    ('# a\n// b\n/* c\n d */ path "a" { # e\n capabilities = ["read"] // f\n }', ["a"]),
    ('# only a comment', ["a"]),
    # A repeated key: lists joined, any other value the last.
    ('path "a" { capabilities = ["read"] capabilities = ["list"] }', ["a"]),
    ('path "a" { capabilities = ["deny"] capabilities = ["read"] }', ["a"]),
    ('path "a" { policy = "deny" policy = "read" }', ["a"]),
    ('path "a" { capabilities = ["read"] min_wrapping_ttl = 10 min_wrapping_ttl = 100 max_wrapping_ttl = 50 }', ["a"]),
    ('path "a" { capabilities = ["read"] } path "a" { capabilities = ["list"] }', ["a"]),
    # Values a list of strings does not take.
    ('path "a" { capabilities = ["read", true] }', ["a"]),
    ('path "a" { capabilities = [["read"]] }', ["a"]),
    ('path "a" { capabilities = ["read"] x.y = 1 }', ["a"]),
    # Syntax errors.
    ('path "a" { capabilities = read }', ["a"]),
    ('path "a" { capabilities = [read] }', ["a"]),
    ('path "a" { capabilities = null }', ["a"]),
    ('path "a" = { capabilities = ["read"] }', ["a"]),
    ('path "a" { capabilities = ["read" "list"] }', ["a"]),
    ('path "a" { capabilities = ["re\nad"] }', ["a"]),
    ('path "a" { capabilities = ["read"] } /* e ', ["a"]),
    ('path "a" { capabilities = ["read"] } / x', ["a"]),
    ('path "a" { capabilities = ["read"] ; }', ["a"]),
    ('path "a" { capabilities = ["a\\qb"] }', ["a"]),
    ('path "a" { capabilities = ["read"] ', ["a"]),
    ('path "a" { capabilities = ["read"] } }', ["a"]),
    ('path "a"', ["a"]),
    ('path "a" { capabilities = ["read"] min_wrapping_ttl = - 5 }', ["a"]),
    ('path "a" { capabilities = ["read"] 1x = 1 }', ["a"]),
    ('path "a" { capabilities = ["read"] } é', ["a"]),
]
