//! Token streams → formatted source files with a generated-file header.
//!
//! One way to lay out every file: prettyplease formats each top-level item,
//! and items are set apart by a blank line, as a person writes them, except
//! runs of `use` items and of `mod` declarations, which stay together.

use super::model::generate_error;
use crate::error::Error;
use proc_macro2::TokenStream;
use quote::quote;

/// Some items of a source file, formatted on their own so that only one
/// segment's tokens and syntax tree are alive at a time. `open_enum!` bodies
/// are formatted as the plain enum they describe and then wrapped in the
/// macro call, because prettyplease leaves macro arguments on a few long lines.
pub enum Segment {
    /// Items; the first segment of a file may start with inner attributes.
    Items(TokenStream),
    /// The enum an `open_enum!` call declares.
    OpenEnum(TokenStream),
}

impl Segment {
    /// The segment parsed as prettyplease sees it (an `open_enum!` body as its plain enum).
    pub fn syntax_tree(&self) -> Result<syn::File, Error> {
        match self {
            Segment::Items(tokens) | Segment::OpenEnum(tokens) => parse_file(tokens.clone()),
        }
    }

    /// The code itself: an `open_enum!` body inside its macro call.
    pub fn into_tokens(self) -> TokenStream {
        match self {
            Segment::Items(tokens) => tokens,
            Segment::OpenEnum(tokens) => quote!(ucwa_runtime::open_enum! { #tokens }),
        }
    }
}

fn parse_file(tokens: TokenStream) -> Result<syn::File, Error> {
    syn::parse2::<syn::File>(tokens)
        .map_err(|e| generate_error(format!("internal: the emitted code does not parse: {e}")))
}

/// How an item sits next to the one before it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// The file's inner attributes (its `//!` docs).
    Attributes,
    Use,
    /// `mod name;`
    ModDeclaration,
    Other,
}

impl Layout {
    fn of(item: &syn::Item) -> Layout {
        match item {
            syn::Item::Use(_) => Layout::Use,
            syn::Item::Mod(module) if module.content.is_none() => Layout::ModDeclaration,
            _ => Layout::Other,
        }
    }

    /// Whether a blank line goes between an item laid out as `previous` and one laid out as `self`.
    fn apart_from(self, previous: Option<Layout>) -> bool {
        match previous {
            None => false,
            Some(previous) => previous != self || self == Layout::Other,
        }
    }
}

fn unparse(attrs: Vec<syn::Attribute>, items: Vec<syn::Item>) -> String {
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs,
        items,
    })
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
    let mut previous = None;
    let mut place = |layout: Layout, push: &mut dyn FnMut(&str) -> Result<(), Error>| {
        let apart = layout.apart_from(previous);
        previous = Some(layout);
        if apart {
            push("\n")
        } else {
            Ok(())
        }
    };
    for segment in segments {
        match segment {
            Segment::Items(tokens) => {
                let file = parse_file(tokens)?;
                if !file.attrs.is_empty() {
                    place(Layout::Attributes, push)?;
                    push(&unparse(file.attrs, Vec::new()))?;
                }
                for item in file.items {
                    place(Layout::of(&item), push)?;
                    push(&unparse(Vec::new(), vec![item]))?;
                }
            }
            Segment::OpenEnum(tokens) => {
                place(Layout::Other, push)?;
                let mut out = String::from("ucwa_runtime::open_enum! {\n");
                for line in prettyplease::unparse(&parse_file(tokens)?).lines() {
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
    Ok(())
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

    #[test]
    fn items_stand_apart_but_imports_and_module_declarations_stay_together() {
        let segments = vec![
            Segment::Items(quote! {
                #![doc = " A module."]
                use a::b;
                use c::d;
                mod e;
                mod f;
                /// One.
                struct One;
                fn two() {}
            }),
            Segment::OpenEnum(quote!(
                enum Three {
                    A = "a",
                }
            )),
            Segment::Items(quote!(
                mod g {}
            )),
        ];
        let text = format_segments("// header\n\n", segments).unwrap();
        assert_eq!(
            text,
            "// header\n\n//! A module.\n\nuse a::b;\nuse c::d;\n\nmod e;\nmod f;\n\n/// One.\nstruct One;\n\nfn two() {}\n\nucwa_runtime::open_enum! {\n    enum Three {\n        A = \"a\",\n    }\n}\n\nmod g {}\n"
        );
    }
}
