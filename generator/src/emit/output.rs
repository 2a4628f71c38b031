//! Token streams → formatted source files with a generated-file header.
//!
//! One way to lay out every file: prettyplease formats each top-level item,
//! and items are set apart by a blank line, as a person writes them, except
//! runs of `use` items and of `mod` declarations, which stay together.

use super::model::generate_error;
use crate::error::Error;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Some items of a source file, formatted on their own so that only one
/// segment's tokens and syntax tree are alive at a time. Macro arguments are
/// formatted as the Rust they read as (an `open_enum!` body as its plain enum,
/// an `impl_serde!` argument as a struct expression) and then wrapped in the
/// macro call, because prettyplease leaves macro arguments on a few long lines.
pub enum Segment {
    /// Items; the first segment of a file may start with inner attributes.
    Items(TokenStream),
    /// The enum an `open_enum!` call declares.
    OpenEnum(TokenStream),
    /// `ucwa_runtime::name!(argument);` whose argument reads as an
    /// expression (the struct expression `impl_serde!` takes), formatted as
    /// that expression. Called by its path, as `open_enum!` is, so that no
    /// macro of the same name in the including code's textual scope (which
    /// would win over an import) can take its place.
    Call { name: Ident, argument: TokenStream },
}

impl Segment {
    /// The segment parsed as prettyplease sees it (an `open_enum!` body as its plain enum).
    pub fn syntax_tree(&self) -> Result<syn::File, Error> {
        match self {
            Segment::Items(tokens) | Segment::OpenEnum(tokens) => parse_file(tokens.clone()),
            Segment::Call { name, argument } => parse_file(argument_as_item(name, argument)),
        }
    }

    /// The tokens the segment is made of: the items, the enum, the argument.
    pub fn tokens(&self) -> &TokenStream {
        match self {
            Segment::Items(tokens) | Segment::OpenEnum(tokens) => tokens,
            Segment::Call { argument, .. } => argument,
        }
    }

    /// The code itself: an `open_enum!` body inside its macro call.
    pub fn into_tokens(self) -> TokenStream {
        match self {
            Segment::Items(tokens) => tokens,
            Segment::OpenEnum(tokens) => quote!(ucwa_runtime::open_enum! { #tokens }),
            Segment::Call { name, argument } => quote!(ucwa_runtime::#name!(#argument);),
        }
    }
}

/// `const _: T = argument;`: prettyplease formats the argument as the
/// expression it reads as, where a macro call's tokens would be filled into
/// long lines.
fn argument_as_item(name: &Ident, argument: &TokenStream) -> TokenStream {
    let padding = Ident::new(&call_padding(name), Span::call_site());
    quote!(const _: #padding = #argument;)
}

/// The macro's path as the call spells it.
fn call_path(name: &Ident) -> String {
    format!("ucwa_runtime::{name}")
}

/// The `T` of [`argument_as_item`]: `const _: T = ` takes 12 columns more
/// than `T` and the closing `;` one, against `path!(` and `);`, so with `T`
/// 9 shorter than the path the argument starts a column further right than
/// in the call, and fits in the call wherever it fits here.
fn call_padding(name: &Ident) -> String {
    "T".repeat(call_path(name).len().saturating_sub(9).max(1))
}

/// `ucwa_runtime::name!(argument);` from `argument` formatted as
/// [`argument_as_item`].
fn format_call(name: &Ident, argument: &TokenStream) -> Result<String, Error> {
    let item = prettyplease::unparse(&parse_file(argument_as_item(name, argument))?);
    let prefix = format!("const _: {} = ", call_padding(name));
    let path = call_path(name);
    item.strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(";\n"))
        .map(|argument| format!("{path}!({argument});\n"))
        .ok_or_else(|| {
            generate_error(format!(
                "internal: `{name}!` argument formatted as {item:?}"
            ))
        })
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
            Segment::Call { name, argument } => {
                place(Layout::Other, push)?;
                push(&format_call(&name, &argument)?)?;
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

    #[test]
    fn macro_calls_are_formatted_as_the_struct_expression_they_take() {
        let call = |argument: TokenStream| Segment::Call {
            name: Ident::new("impl_serde", Span::call_site()),
            argument,
        };
        let long = Ident::new(&"Long".repeat(30), Span::call_site());
        let segments = vec![
            call(quote!(Short { ..extra })),
            call(quote!(Two {
                r#type: "type",
                to: required("to"),
                ..extra
            })),
            call(quote!(#long { a, b: "B", ..extra })),
        ];
        let text = format_segments("", segments).unwrap();
        let expected = "ucwa_runtime::impl_serde!(Short { ..extra });\n\nucwa_runtime::impl_serde!(Two {\n    r#type: \"type\",\n    to: required(\"to\"),\n    ..extra\n});\n\nucwa_runtime::impl_serde!(LONG {\n    a,\n    b: \"B\",\n    ..extra\n});\n";
        assert_eq!(text, expected.replace("LONG", &"Long".repeat(30)));
    }
}
