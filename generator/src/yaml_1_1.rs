//! Schema YAML that every YAML reader types the same way.
//!
//! serde_yaml writes YAML 1.2, whose core schema types only `true`/`false`,
//! `null`/`~` and plain numbers: it quotes a string that looks like one of
//! those and writes every other string plain. A YAML 1.1 reader (PyYAML,
//! go-yaml v2, many editors and CI tools) types more: `On`/`Off`, `Yes`/`No`,
//! `y`/`n`, `1_000`, `0777`, sexagesimal `1:20`, `.5`, `2015-07-01`, `<<`, so
//! the enumeration member `On` would load as `True` there. [`quote_lookalikes`]
//! single-quotes each such plain string in serde_yaml's output; reading stays
//! serde_yaml's job, and it reads a quoted string as the same string.

/// `yaml` (serde_yaml's block-style output of a mapping) with every plain
/// string scalar that a YAML 1.1 reader would take as a boolean, null,
/// number, timestamp or merge key single-quoted.
///
/// That output has a small grammar: a line is block structure,
/// `indent ("- ")* (key ":")? (" " value)?` with schema field names as keys,
/// unless it is the content of a block scalar (`|-`), indented deeper than
/// the key or `-` that holds the scalar. No other scalar spans lines:
/// serde_yaml asks for a block scalar for any string with a line feed, libyaml
/// falls back to double quotes (which escape line feeds) where a block
/// cannot hold it, and the width is unlimited, so nothing is folded. A value
/// that begins with none of `'"|>[{` is a plain scalar.
pub(crate) fn quote_lookalikes(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len());
    // The column of the key or `-` holding the block scalar being read.
    let mut block_holder: Option<usize> = None;
    for line in yaml.split_inclusive('\n') {
        let text = line.strip_suffix('\n').unwrap_or(line);
        if let Some(holder) = block_holder {
            if text.trim().is_empty() || indentation(text) > holder {
                out.push_str(line);
                continue;
            }
            block_holder = None;
        }
        let (holder, value_start) = structure(text);
        let value = &text[value_start..];
        match value.chars().next() {
            Some('|' | '>') => {
                block_holder = Some(holder);
                out.push_str(line);
            }
            Some(first)
                if !matches!(first, '\'' | '"' | '[' | '{')
                    && is_plain_string_a_yaml_1_1_reader_types(value) =>
            {
                out.push_str(&text[..value_start]);
                out.push('\'');
                out.push_str(&value.replace('\'', "''"));
                out.push('\'');
                out.push_str(&line[text.len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

fn indentation(text: &str) -> usize {
    text.len() - text.trim_start_matches(' ').len()
}

/// For a structure line: the column of the node that holds its value (the
/// key, or the last `-`), and where the value starts.
fn structure(text: &str) -> (usize, usize) {
    let mut column = indentation(text);
    let mut holder = column;
    while text[column..].starts_with("- ") {
        holder = column;
        column += 2;
    }
    let rest = &text[column..];
    let key = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|&end| end > 0 && rest[end..].starts_with(':'))
        .filter(|&end| rest[end + 1..].is_empty() || rest[end + 1..].starts_with(' '));
    match key {
        Some(end) => {
            let value_start = column + end + 1;
            (column, (value_start + 1).min(text.len()))
        }
        None => (holder, column),
    }
}

/// A plain scalar that serde_yaml reads as a string but a YAML 1.1 reader
/// types otherwise. (Plain `true` or `404` in serde_yaml's output are real
/// booleans and numbers, typed alike by both, and stay as they are.)
fn is_plain_string_a_yaml_1_1_reader_types(plain: &str) -> bool {
    typed_by_yaml_1_1(plain)
        && matches!(
            serde_yaml::from_str::<serde_yaml::Value>(plain),
            Ok(serde_yaml::Value::String(_))
        )
}

/// The YAML 1.1 type repository's implicit types (bool, null, int, float,
/// timestamp, merge, value), with the words taken in any letter case: a
/// superset, so that no YAML 1.1 reader types a string we leave plain.
fn typed_by_yaml_1_1(plain: &str) -> bool {
    let word = plain.to_ascii_lowercase();
    matches!(
        word.as_str(),
        "y" | "yes" | "n" | "no" | "true" | "false" | "on" | "off" | "~" | "null" | "" | "<<" | "="
    ) || is_int(plain)
        || is_float(&word)
        || is_timestamp(plain)
}

fn unsigned(text: &str) -> &str {
    text.strip_prefix(['-', '+']).unwrap_or(text)
}

fn all_nonempty(text: &str, allowed: impl Fn(u8) -> bool) -> bool {
    !text.is_empty() && text.bytes().all(allowed)
}

fn is_digit_or_underscore(byte: u8) -> bool {
    byte.is_ascii_digit() || byte == b'_'
}

/// `[-+]?` then `0b[0-1_]+`, `0x[0-9a-fA-F_]+`, `0[0-7_]+`, `0`, or
/// `[1-9][0-9_]*` with any number of sexagesimal `:[0-5]?[0-9]` parts.
fn is_int(text: &str) -> bool {
    let text = unsigned(text);
    if let Some(binary) = text.strip_prefix("0b") {
        return all_nonempty(binary, |b| matches!(b, b'0' | b'1' | b'_'));
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return all_nonempty(hex, |b| b.is_ascii_hexdigit() || b == b'_');
    }
    if let Some(octal) = text.strip_prefix('0') {
        return octal.is_empty() || all_nonempty(octal, |b| matches!(b, b'0'..=b'7' | b'_'));
    }
    let mut parts = text.split(':');
    let head = parts.next().unwrap_or_default();
    head.starts_with(|c: char| c.is_ascii_digit())
        && all_nonempty(head, is_digit_or_underscore)
        && parts.all(is_sexagesimal_digit_pair)
}

/// `[0-5]?[0-9]`.
fn is_sexagesimal_digit_pair(part: &str) -> bool {
    match part.as_bytes() {
        [ones] => ones.is_ascii_digit(),
        [tens, ones] => matches!(tens, b'0'..=b'5') && ones.is_ascii_digit(),
        _ => false,
    }
}

/// `[-+]?([0-9][0-9_]*)?\.[0-9._]*([eE][-+]?[0-9]+)?`,
/// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`, `[-+]?\.inf`, `\.nan`;
/// `lower` is lowercased, and the exponent's sign is optional here.
fn is_float(lower: &str) -> bool {
    if lower == ".nan" || unsigned(lower) == ".inf" {
        return true;
    }
    let Some((whole, fraction)) = unsigned(lower).split_once('.') else {
        return false;
    };
    let fraction = match fraction.rsplit_once('e') {
        Some((mantissa, exponent)) if all_nonempty(unsigned(exponent), |b| b.is_ascii_digit()) => {
            mantissa
        }
        _ => fraction,
    };
    let fraction_ok = fraction
        .bytes()
        .all(|b| is_digit_or_underscore(b) || b == b'.');
    let mut parts = whole.split(':');
    let head = parts.next().unwrap_or_default();
    let whole_ok = head.is_empty()
        || (head.starts_with(|c: char| c.is_ascii_digit())
            && all_nonempty(head, is_digit_or_underscore)
            && parts.all(is_sexagesimal_digit_pair));
    fraction_ok && whole_ok
}

/// Starts like `[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}` and ends there or goes on
/// with a time (`T`, `t`, space or tab): all that the timestamp pattern
/// accepts, and a few strings more.
fn is_timestamp(text: &str) -> bool {
    let mut parts = text.splitn(3, '-');
    let (Some(year), Some(month), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let day_length = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after_day = &rest[day_length..];
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (1..=2).contains(&month.len())
        && month.bytes().all(|b| b.is_ascii_digit())
        && (1..=2).contains(&day_length)
        && (after_day.is_empty() || after_day.starts_with(['T', 't', ' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_lookalikes_are_recognised_in_any_case() {
        for typed in [
            "On",
            "oFF",
            "Yes",
            "NO",
            "y",
            "N",
            "~",
            "null",
            "NULL",
            "true",
            "",
            "<<",
            "=",
            "0",
            "-12",
            "+7",
            "1_000",
            "20150701",
            "0777",
            "0b1010",
            "0x1F",
            "0x_f",
            "1:20",
            "190:20:30",
            "1.5",
            ".5",
            "1.",
            "-.5e3",
            "1.0e+10",
            "6.8523015e+5",
            "685.230_15e+03",
            "190:20:30.15",
            ".inf",
            "-.INF",
            "+.Inf",
            ".NaN",
            "2015-07-01",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2001-1-1T1:00:00Z",
            ".",
        ] {
            assert!(typed_by_yaml_1_1(typed), "{typed:?}");
        }
        for string in [
            "Online",
            "Offline",
            "yesterday",
            "nil",
            "None",
            "0o17",
            "1e3",
            "12a",
            "1__:61",
            "1:60",
            "1,000",
            "v1.0",
            "1.0.0-beta",
            "2015-07",
            "2015-07-01x",
            "-",
            "+",
            "0b",
            "0x",
            "0b2",
            "0xg",
            "08",
            "e5",
            "_1",
            "inf",
            "nan",
            "--1",
        ] {
            assert!(!typed_by_yaml_1_1(string), "{string:?}");
        }
    }

    #[test]
    fn only_plain_strings_of_the_structure_are_quoted() {
        let yaml = "\
name: On
kind: enumeration
values:
- Yes
- 'No'
- off duty
required: true
code: 404
body: |-
  On
  - n
  key: y
valid: false
members:
- name: y
  description: |2-
     1:20
- name: '1:20'
  description: 'a\u{2028}On\u{2028}'
  body: a
";
        // Three lines change; block scalar content, quoted scalars, longer
        // text and the schema's own booleans and numbers stay as they are.
        let expected = yaml
            .replace("name: On\n", "name: 'On'\n")
            .replace("- Yes\n", "- 'Yes'\n")
            .replace("- name: y\n", "- name: 'y'\n");
        assert_eq!(
            expected.matches('\'').count(),
            yaml.matches('\'').count() + 6
        );
        assert_eq!(quote_lookalikes(yaml), expected);
    }
}
