//! Token streams → formatted source files with a generated-file header.

use super::model::generate_error;
use crate::error::Error;
use proc_macro2::TokenStream;

/// One stretch of a source file, formatted on its own so that only one
/// stretch's tokens and syntax tree are alive at a time. Stretches are
/// separated by a blank line, except [`Segment::MoreItems`], which goes on
/// the previous stretch as prettyplease would have printed it in one file.
/// `open_enum!` bodies are formatted as the plain enum they describe and then
/// wrapped in the macro call, because prettyplease leaves macro arguments on
/// a few long lines.
pub enum Segment {
    Items(TokenStream),
    MoreItems(TokenStream),
    OpenEnum(TokenStream),
    /// One `static` array item over a slice of its elements. A run of these
    /// (the same item over consecutive slices) prints as the one item over
    /// all the elements: an array too long for a line has one element after
    /// another, each laid out on its own, so the slices join exactly.
    TableRows(TokenStream),
}

impl Segment {
    /// The segment parsed as prettyplease sees it (an `open_enum!` body as its plain enum).
    pub fn syntax_tree(&self) -> Result<syn::File, Error> {
        match self {
            Segment::Items(tokens)
            | Segment::MoreItems(tokens)
            | Segment::OpenEnum(tokens)
            | Segment::TableRows(tokens) => parse_file(tokens.clone()),
        }
    }
}

fn parse_file(tokens: TokenStream) -> Result<syn::File, Error> {
    syn::parse2::<syn::File>(tokens)
        .map_err(|e| generate_error(format!("internal: the emitted code does not parse: {e}")))
}

pub fn format_tokens(tokens: TokenStream) -> Result<String, Error> {
    Ok(prettyplease::unparse(&parse_file(tokens)?))
}

pub fn format_segments(header: &str, segments: Vec<Segment>) -> Result<String, Error> {
    let mut out = String::new();
    format_segments_into(header, segments, &mut |text| {
        out.push_str(text);
        Ok(())
    })?;
    Ok(out)
}

/// Formats `header` and then each segment in turn, handing the text to
/// `push` as it is made: a file is never whole in memory.
pub fn format_segments_into(
    header: &str,
    segments: impl IntoIterator<Item = Segment>,
    push: &mut dyn FnMut(&str) -> Result<(), Error>,
) -> Result<(), Error> {
    push(header)?;
    let mut table = Table::default();
    for (index, segment) in segments.into_iter().enumerate() {
        if let Segment::TableRows(tokens) = segment {
            table.add(format_tokens(tokens)?, push)?;
            continue;
        }
        table.finish(push)?;
        if index > 0 && !matches!(segment, Segment::MoreItems(_)) {
            push("\n")?;
        }
        match segment {
            Segment::Items(tokens) | Segment::MoreItems(tokens) | Segment::TableRows(tokens) => {
                push(&format_tokens(tokens)?)?
            }
            Segment::OpenEnum(tokens) => {
                let mut out = String::from("::ucwa_runtime::open_enum! {\n");
                for line in format_tokens(tokens)?.lines() {
                    if !line.is_empty() {
                        out.push_str("    ");
                        out.push_str(line);
                    }
                    out.push('\n');
                }
                out.push_str("}\n");
                push(&out)?;
            }
        }
    }
    table.finish(push)
}

/// A run of [`Segment::TableRows`] being joined. The last slice is held back
/// until the next one shows whether its closing `];` ends the item.
#[derive(Default)]
struct Table {
    /// Everything up to and including the line that opens the array.
    head: String,
    held: Option<String>,
}

impl Table {
    const CLOSE: &'static str = "];\n";

    fn add(
        &mut self,
        text: String,
        push: &mut dyn FnMut(&str) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let Some(held) = self.held.take() else {
            self.head = text
                .find("&[\n")
                .map(|at| text[..at + 3].to_string())
                .unwrap_or_default();
            self.held = Some(text);
            return Ok(());
        };
        let joins = |t: &str| t.ends_with(&format!(",\n{}", Table::CLOSE));
        let rows = text.strip_prefix(self.head.as_str());
        match rows {
            Some(rows) if !self.head.is_empty() && joins(&held) && joins(&text) => {
                push(&held[..held.len() - Table::CLOSE.len()])?;
                self.held = Some(rows.to_string());
                Ok(())
            }
            _ => Err(generate_error(
                "internal: slices of a static table are not laid out one element per line",
            )),
        }
    }

    fn finish(&mut self, push: &mut dyn FnMut(&str) -> Result<(), Error>) -> Result<(), Error> {
        match self.held.take() {
            Some(held) => push(&held),
            None => Ok(()),
        }
    }
}

/// Text for a header comment: one line, no control characters.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The first lines of every generated file, as `prefix` comments (`//` or `#`).
pub fn header(prefix: &str, provenance: &str, command: &str) -> String {
    format!(
        "{prefix} @generated by ucwa-codegen from {}.\n{prefix} Do not edit by hand: change the schema and run `{}`.\n\n",
        one_line(provenance),
        one_line(command)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn table(rows: std::ops::Range<usize>) -> TokenStream {
        let rows = rows.map(|n| {
            let name = format!("row number {n}, long enough that two rows never share a line");
            quote!((#name, |body: &str| body.len() > #n))
        });
        quote! {
            /// Rows.
            static ROWS: &[(&str, fn(&str) -> bool)] = &[#(#rows),*];
        }
    }

    fn formatted(segments: Vec<Segment>) -> Result<String, Error> {
        let mut segments = segments;
        segments.insert(
            0,
            Segment::Items(quote!(
                fn before() {}
            )),
        );
        segments.push(Segment::MoreItems(quote!(
            fn after() {}
        )));
        format_segments("", segments)
    }

    #[test]
    fn a_table_formatted_in_slices_is_the_table_formatted_whole() {
        let whole = formatted(vec![Segment::MoreItems(table(0..7))]).unwrap();
        let sliced = formatted(vec![
            Segment::TableRows(table(0..3)),
            Segment::TableRows(table(3..4)),
            Segment::TableRows(table(4..7)),
        ])
        .unwrap();
        assert_eq!(sliced, whole);
        assert!(whole.contains("row number 6"), "{whole}");
        let one = formatted(vec![Segment::TableRows(table(0..0))]).unwrap();
        assert_eq!(
            one,
            formatted(vec![Segment::MoreItems(table(0..0))]).unwrap()
        );
    }

    #[test]
    fn slices_that_would_not_join_exactly_are_an_error() {
        let short = |n: u8| quote!(static ROWS: &[u8] = &[#n];);
        let error = formatted(vec![
            Segment::TableRows(short(1)),
            Segment::TableRows(short(2)),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("static table"), "{error}");
    }
}
