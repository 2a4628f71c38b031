//! Page text → rustdoc attributes.
//!
//! Descriptions are prose from the pages, not markdown written for rustdoc:
//! brackets would become broken intra-doc links, `<p>` invalid HTML, bare
//! URLs and indented lines doctests or warnings. Everything that means
//! something to rustdoc is escaped, and the text only ever reaches the
//! output as a string literal inside `#[doc = ...]`.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc]` attributes for `text`, one per line so prettyplease prints `///`.
pub fn doc(text: &str) -> TokenStream {
    let lines: Vec<String> = text
        .lines()
        .map(|line| format!(" {}", escape_line(line.trim())))
        .collect();
    let lines = trim_blank_edges(lines);
    quote! { #(#[doc = #lines])* }
}

/// `doc(text)`, or the generator's `fallback` prose when the page has no description.
pub fn doc_or(text: &str, fallback: &str) -> TokenStream {
    if text.trim().is_empty() {
        trusted(fallback)
    } else {
        doc(text)
    }
}

/// Doc attributes for prose the generator writes itself; page text inside
/// it must already have gone through [`escape`] or [`code`].
pub fn trusted(text: &str) -> TokenStream {
    let lines: Vec<String> = text.lines().map(|line| format!(" {line}")).collect();
    quote! { #(#[doc = #lines])* }
}

/// Page text for use inside [`trusted`] prose.
pub fn escape(text: &str) -> String {
    text.lines()
        .map(|line| escape_line(line.trim()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A documented name as inline code, or escaped text if it could break out of the code span.
pub fn code(name: &str) -> String {
    if name.is_empty() || name.contains(['`', '\n', '\r']) {
        escape(name)
    } else {
        format!("`{name}`")
    }
}

fn trim_blank_edges(mut lines: Vec<String>) -> Vec<String> {
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let first = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    lines.drain(..first);
    lines
}

/// Escapes one trimmed line; URLs are wrapped in `<...>` so rustdoc links them
/// instead of warning about bare URLs.
fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for (index, word) in line.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        if is_url(word) {
            out.push('<');
            out.push_str(word);
            out.push('>');
        } else {
            escape_word(word, &mut out);
        }
    }
    // A line that starts a markdown block (`#`, `-`, `>`, `1.`, `|`, `=`) would change the layout.
    if out.starts_with(['-', '+', '=']) {
        out.insert(0, '\\');
    }
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && out[digits..].starts_with(['.', ')']) {
        out.insert(digits, '\\');
    }
    out
}

fn is_url(word: &str) -> bool {
    (word.starts_with("http://") || word.starts_with("https://"))
        && word.len() > "https://".len()
        && word
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '`' | '"' | '\\' | '[' | ']'))
}

fn escape_word(word: &str, out: &mut String) {
    for ch in word.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '[' | ']' | '`' | '\\' | '*' | '_' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        let tokens = doc(text);
        let file: syn::File =
            syn::parse2(quote! { #tokens struct X; }).expect("doc attributes parse");
        let syn::Item::Struct(item) = &file.items[0] else {
            panic!("expected a struct")
        };
        item.attrs
            .iter()
            .map(|a| match &a.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => s.value(),
                    _ => panic!("expected a `doc = \"...\"` attribute"),
                },
                _ => panic!("expected a `doc = \"...\"` attribute"),
            })
            .collect()
    }

    #[test]
    fn rustdoc_syntax_is_escaped() {
        assert_eq!(
            lines("See [x] and <p>`code`</p>"),
            [" See \\[x\\] and &lt;p&gt;\\`code\\`&lt;/p&gt;"]
        );
        assert_eq!(
            lines("a_b *c* #[d] } fn x() {"),
            [" a\\_b \\*c\\* \\#\\[d\\] } fn x() {"]
        );
    }

    #[test]
    fn urls_become_autolinks_and_indentation_is_dropped() {
        assert_eq!(
            lines("Go to https://example.com/a?b=1 now"),
            [" Go to <https://example.com/a?b=1> now"]
        );
        assert_eq!(lines("\n    let x = 1;\n\n"), [" let x = 1;"]);
    }

    #[test]
    fn block_starters_are_neutralised() {
        assert_eq!(
            lines("# title\n- item\n1. first"),
            [" \\# title", " \\- item", " 1\\. first"]
        );
    }

    #[test]
    fn quotes_and_comment_ends_stay_text() {
        assert_eq!(lines("say \"#hi\"#  */"), [" say \"\\#hi\"\\#  \\*/"]);
    }
}
