//! The reader against hcl-edit (still a dependency, for `fmt`): the same texts give the same
//! structures, names, labels, values and places, or both refuse them.

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl::edit::template::{Element, Template};

use super::{Attribute, Block, Body, HclValue, Heredoc, Name, Structure, parse_hcl_body};
use crate::diagnostic::{Span, Spanned};

/// hcl-edit's reading of `text`, in this module's types.
fn hcl_edit(text: &str) -> Option<Body> {
    hcl::edit::parser::parse_body(text).ok().map(|b| body(&b))
}

fn body(body: &hcl::edit::structure::Body) -> Body {
    Body {
        structures: body.iter().map(structure).collect(),
        span: Span::from_range(body.span()),
    }
}

fn name(text: &str, span: Option<std::ops::Range<usize>>) -> Name {
    Name {
        text: text.to_string(),
        span: Span::from_range(span),
    }
}

fn structure(structure: &hcl::edit::structure::Structure) -> Structure {
    let span = Span::from_range(structure.span());
    match structure {
        hcl::edit::structure::Structure::Attribute(attr) => {
            let walked = value(&attr.value);
            let heredoc = match &attr.value {
                Expression::HeredocTemplate(h) if !is_interpolated(&walked) => {
                    Some(Heredoc { indent: h.indent() })
                }
                Expression::HeredocTemplate(_) => Some(Heredoc { indent: None }),
                _ => None,
            };
            Structure::Attribute(Attribute {
                key: name(attr.key.as_str(), attr.key.span()),
                value: walked,
                heredoc,
                span,
            })
        }
        hcl::edit::structure::Structure::Block(block) => Structure::Block(Block {
            ident: name(block.ident.as_str(), block.ident.span()),
            labels: block
                .labels
                .iter()
                .map(|l| name(l.as_str(), l.span()))
                .collect(),
            body: self::body(&block.body),
            span,
        }),
    }
}

fn is_interpolated(walked: &Spanned<HclValue>) -> bool {
    matches!(walked.value, HclValue::Interpolated { .. })
}

fn value(expr: &Expression) -> Spanned<HclValue> {
    let span = Span::from_range(expr.span());
    let value = match expr {
        Expression::Null(_) => HclValue::Null,
        Expression::Bool(b) => HclValue::Bool(*b.value()),
        Expression::Number(n) => HclValue::Number(number(n.value())),
        Expression::String(s) => HclValue::Str(s.value().clone()),
        Expression::Array(items) => HclValue::List(items.iter().map(value).collect()),
        Expression::Object(object) => HclValue::Object(
            object
                .iter()
                .map(|(key, item)| (object_key(key), value(item.expr())))
                .collect(),
        ),
        Expression::StringTemplate(t) => template(t),
        Expression::HeredocTemplate(h) => template(&h.template),
        Expression::Parenthesis(p) => return value(p.inner()),
        Expression::UnaryOp(op) => HclValue::Unary {
            negation: *op.operator.value() == UnaryOperator::Neg,
            operand: Box::new(value(&op.expr)),
        },
        Expression::FuncCall(call) => HclValue::Call {
            name: call.name.name.as_str().to_string(),
            namespaced: call.name.is_namespaced(),
            args: call.args.iter().map(value).collect(),
        },
        Expression::Variable(v) => HclValue::Variable(v.as_str().to_string()),
        Expression::Conditional(_)
        | Expression::Traversal(_)
        | Expression::BinaryOp(_)
        | Expression::ForExpr(_) => HclValue::Other,
    };
    Spanned { value, span }
}

fn object_key(key: &ObjectKey) -> Spanned<HclValue> {
    match key {
        ObjectKey::Ident(ident) => Spanned {
            value: HclValue::Str(ident.as_str().to_string()),
            span: Span::from_range(ident.span()),
        },
        ObjectKey::Expression(expr) => value(expr),
    }
}

fn template(template: &Template) -> HclValue {
    let mut out = String::new();
    for element in template.iter() {
        match element {
            Element::Literal(literal) => out.push_str(literal.value()),
            other => {
                return HclValue::Interpolated {
                    first: other.span().map_or(0, |s| s.start),
                };
            }
        }
    }
    HclValue::Str(out)
}

fn number(n: &hcl::Number) -> serde_json::Number {
    if let Some(i) = n.as_i64() {
        i.into()
    } else if let Some(u) = n.as_u64() {
        u.into()
    } else {
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .unwrap_or_else(|| 0.into())
    }
}

/// hcl-edit gives a one-line block's body no span; such bodies are left out of the comparison.
fn forget_one_line_spans(body: &mut Body, text: &str) {
    for structure in &mut body.structures {
        if let Structure::Block(block) = structure {
            let start = block.body.span.start;
            if !matches!(text.as_bytes().get(start), Some(b'\n' | b'\r')) {
                block.body.span = Span::default();
            }
            forget_one_line_spans(&mut block.body, text);
        }
    }
}

/// `None` when both refuse `text`; otherwise both readings, in the same form.
fn both(text: &str) -> (Option<String>, Option<String>) {
    let ours = parse_hcl_body(text).ok().map(|mut body| {
        forget_one_line_spans(&mut body, text);
        format!("{body:#?}")
    });
    let theirs = hcl_edit(text).map(|mut body| {
        forget_one_line_spans(&mut body, text);
        format!("{body:#?}")
    });
    (ours, theirs)
}

const READ_ALIKE: &[&str] = &[
    "",
    "\n\n# only a comment\n",
    "a = 1\n",
    "a = 1",
    "a = -1\nb = - 2.5\nc = 1e3\nd = 1.0\ne = 18446744073709551615\nf = 18446744073709551616\n",
    "g = -9223372036854775808\nh = -9223372036854775809\ni = 0.5e-3\nj = 1E+2\nk = -0\n",
    "a = true\nb = false\nc = null\nd = nothing\n",
    "a = \"x\\n\\t\\r\\\\\\\"\\u00e9\\U0001F600\"\n",
    "a = \"$${x} %%{y} $ % $x %x\"\n",
    "a = \"x-${y}-$${z}\"\nb = \"%{ if c }d%{ endif }\"\n",
    "a = \"${ {a = 1}[\"a\"] }\"\nb = \"${~ x ~}\"\n",
    "a = [1, 2,\n  3,\n]\nb = []\nc = [\n]\n",
    "a = { k = 1, \"q\" = [true], (x) = 2 }\n",
    "a = {\n  k = 1\n  l: 2 # comment\n  m = 3,\n}\n",
    "a = {}\nb = { }\n",
    "a = -(5)\nb = !true\nc = - x\nd = !!x\n",
    "a = file(\"p\")\nb = f()\nc = ns::g(1, 2,)\nd = h(a...)\ne = f(\n  1,\n  2\n)\n",
    "a = x ? 1 : 2\nb = 1 + 2 * 3\nc = a == b\nd = a && b || c\ne = x.y[0].*\nf = a[*].b\n",
    "a = x.0\nb = (x)\nc = (\n  1\n)\n",
    "a = [for x in y : x]\nb = {for k, v in m : k => v...}\nc = [for x in y : x if x]\n",
    "a = <<EOF\nline\n  indented\nEOF\n",
    "a = <<-EOF\n    four\n      six\n\n    four\n    EOF\n",
    "a = <<-EOF\n  two\nzero\n  EOF\n",
    "a = <<EOF\n${x}\nEOF\nb = <<-EOF\n  y ${x}\n  EOF\n",
    "a = <<EOF\n  EOFX\nEOF\n",
    "a = <<EOF\n${\"\nEOF\"}\nEOF\n",
    "a = <<EOF\nx EOF\n  EOF\nb = 1\n",
    "a = f(<<EOF\nx\nEOF\n)\n",
    "a = <<EOF\r\nwindows\r\nEOF\r\n",
    "a = [<<EOF\nx\nEOF\n, \"b\"]\n",
    "block {\n}\n",
    "block \"label\" ident \"two\" {\n  a = 1\n\n  # trailing\n}\n",
    "block { a = 1 }\nempty {}\nsp { }\n",
    "outer \"o\" { # comment\n  inner {\n    x = \"y\"\n  }\n}\n",
    "a = 1 # trailing\nb = 2 // trailing\nc = /* inline */ 3\n/* block\ncomment */\nd = 4\n",
    "a=1\nb\t=\t2\n",
    "policy \"p\" {\n  path \"secret/*\" {\n    capabilities = [\"read\"]\n  }\n}\n",
    "a = \"ünï\"\nb_c-d = 1\n_e = 2\nλ = 3\n",
    "a = \"raw\nnewline\"\n",
    "a = 1 - -2\nb = x-1\nc = 1-x\n",
    "a = x /y\nb = 3 % 2\nc = a != b\nd = a <= b\ne = a >= b\nf = a < b\ng = a > b\n",
];

const BOTH_REFUSE: &[&str] = &[
    "a =\n",
    "a = 1 b = 2\n",
    "a = 1\na = 2\n",
    "a = \"unterminated\n",
    "a = \"\\q\"\n",
    "a = \"\\u12\"\n",
    "a = \"\\uD800\"\n",
    "a = [1 2]\n",
    "a = {k 1}\n",
    "a = {k = 1 l = 2}\n",
    "a = { k = 1, k = 2 }\n",
    "block\n",
    "block \"l\" {\n  a = 1\n",
    "block { a = 1\n b = 2 }\n",
    "block { inner {} }\n",
    "1 = 2\n",
    "a = 1e\n",
    "a = <<EOF\nno end\n",
    "a = <<EOF x\nEOF\n",
    "a = x ? 1\n",
    "a = f(1\n",
    "a = x.\n",
    "a = /* unterminated\n",
    "a = \"${\"\n",
    "a = 1 &\n",
    "}\n",
];

/// Where two readings first differ, with the lines before it.
fn first_difference(ours: &str, theirs: &str) -> String {
    let ours: Vec<&str> = ours.lines().collect();
    let theirs: Vec<&str> = theirs.lines().collect();
    let at = (0..ours.len().max(theirs.len()))
        .find(|&i| ours.get(i) != theirs.get(i))
        .unwrap_or(0);
    let context = ours.get(at.saturating_sub(12)..at).unwrap_or_default();
    format!(
        "{}\n  ours:   {:?}\n  theirs: {:?}",
        context.join("\n"),
        ours.get(at),
        theirs.get(at)
    )
}

fn assert_read_alike(text: &str, what: &str) {
    let (ours, theirs) = both(text);
    assert_eq!(
        ours.is_some(),
        theirs.is_some(),
        "{what}: whether this reader and hcl-edit read it"
    );
    if let (Some(ours), Some(theirs)) = (ours, theirs) {
        assert!(
            ours == theirs,
            "{what}\n{}",
            first_difference(&ours, &theirs)
        );
    }
}

#[test]
fn texts_read_as_hcl_edit_reads_them() {
    for text in READ_ALIKE {
        assert!(hcl_edit(text).is_some(), "hcl-edit refuses {text:?}");
        assert_read_alike(text, &format!("{text:?}"));
    }
}

/// Where the reader differs on purpose: hcl-edit finds a heredoc's end only after a newline
/// inside it, so it reads an empty heredoc on through the following lines; HCL (Go's, Terraform's)
/// reads it as the empty string, and so does this reader.
#[test]
fn an_empty_heredoc_is_empty() {
    let text = "a = <<EOF\nEOF\nb = <<-EOF\nEOF\n";
    let body = parse_hcl_body(text).unwrap_or_else(|e| panic!("{}", e.message));
    let values: Vec<_> = body
        .iter()
        .map(|s| match s {
            Structure::Attribute(attr) => format!("{:?}", attr.value.value),
            Structure::Block(_) => String::new(),
        })
        .collect();
    assert_eq!(values, [r#"Str("")"#, r#"Str("")"#]);
}

#[test]
fn texts_hcl_edit_refuses_are_refused() {
    for text in BOTH_REFUSE {
        let (ours, theirs) = both(text);
        assert_eq!(theirs, None, "hcl-edit reads {text:?}");
        assert_eq!(ours, None, "{text:?}");
    }
}

#[test]
fn the_repository_hcl_files_read_as_hcl_edit_reads_them() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
    let mut read = 0;
    for directory in ["configuration", "docs", "tutorial", "tutorial/policies"] {
        let Ok(entries) = std::fs::read_dir(format!("{fixtures}/{directory}")) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "hcl")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                assert_read_alike(&text, &path.display().to_string());
                read += 1;
            }
        }
    }
    assert!(read >= 7, "only {read} fixture files found");
}

/// Pieces of HCL, valid and not, for texts made at random.
const PIECES: &[&str] = &[
    "a", "b_c", "x-y", " ", "\t", "\n", "\r\n", " = ", "=", ":", ",", "{", "}", "[", "]", "(", ")",
    "\"s\"", "\"", "\\n", "\\u00e9", "${", "$${", "%{", "%%{", " if ", "endif", "1", "-", "2.5",
    "e3", "!", ".", "..", "...", "*", "?", "<<EOF\n", "<<-EOF\n", "EOF", "  EOF", "#c", "//c",
    "/*c*/", "/*", "for ", " in ", "=>", "true", "null", "f(", "ns::", "==", "&&", "~", "ü",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    /// Any text made of those pieces is read alike, or refused by both.
    #[test]
    fn random_texts_read_as_hcl_edit_reads_them(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..40)
    ) {
        let text = pieces.concat();
        assert_read_alike(&text, &format!("{text:?}"));
    }

    /// The same, for texts shaped as podpass.hcl is, with a piece or two changed.
    #[test]
    fn near_valid_texts_read_as_hcl_edit_reads_them(
        at in 0usize..400,
        piece in proptest::sample::select(PIECES),
        remove in 0usize..3,
    ) {
        let valid = concat!(
            "auth \"kubernetes\" {\n  config {\n    kubernetes_host = \"https://k8s\"\n",
            "    pem_keys = [<<-EOT\n      KEY\n      EOT\n    ]\n  }\n",
            "  role \"r\" { token_ttl = \"1h\" }\n}\n",
            "policy \"p\" {\n  path \"secret/*\" {\n    capabilities = [\"read\", \"list\"]\n  }\n}\n",
            "policy \"q\" {\n  text = <<EOT\npath \"a\" { capabilities = [\"read\"] }\nEOT\n}\n",
            "server {\n  listen = \"127.0.0.1:8200\" # here\n  n = -3\n}\n",
        );
        let mut at = at.min(valid.len());
        while !valid.is_char_boundary(at) {
            at -= 1;
        }
        let end = (at + remove).min(valid.len());
        let end = if valid.is_char_boundary(end) { end } else { at };
        let text = format!("{}{piece}{}", &valid[..at], &valid[end..]);
        assert_read_alike(&text, &format!("{text:?}"));
    }
}
