//! Clean description text: what a reader of the page sees, as one line.
//!
//! Pages mix markdown links, stray HTML fragments (`</p><p></p>`) and HTML
//! entities into their prose; the schema keeps only the words.

/// Links reduced to their text, HTML tags removed, entities decoded,
/// whitespace runs collapsed to one space and trimmed.
pub fn clean(text: &str) -> String {
    let without_links = strip_markdown_links(text);
    let without_tags = strip_html_tags(&without_links);
    let decoded = decode_entities(&without_tags);
    normalise_whitespace(&decoded)
}

/// Decodes the HTML entities the pages use: named ones (`&quot;`, `&lt;`,
/// `&gt;`, `&amp;`, `&apos;`, `&nbsp;`) and numeric ones (`&#39;`, `&#x27;`).
/// Anything else that starts with `&` is kept as written.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let candidate = &rest[amp..];
        match decode_one_entity(candidate) {
            Some((decoded, consumed)) => {
                out.push(decoded);
                rest = &candidate[consumed..];
            }
            None => {
                out.push('&');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` starts with `&`; returns the character and the entity's length in bytes.
fn decode_one_entity(text: &str) -> Option<(char, usize)> {
    // Entities are short; a `;` further away means this `&` is plain text.
    let semicolon = text.char_indices().take(12).find(|&(_, c)| c == ';')?.0;
    let body = &text[1..semicolon];
    let decoded = if let Some(number) = body.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse::<u32>().ok()?,
        };
        char::from_u32(code)?
    } else {
        match body {
            "quot" => '"',
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "apos" => '\'',
            "nbsp" => ' ',
            _ => return None,
        }
    };
    Some((decoded, semicolon + 1))
}

/// `[text](target)` → `text`. Brackets that are not followed by `(` stay.
fn strip_markdown_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after_open = &rest[open + 1..];
        let link = after_open.find("](").and_then(|close| {
            let label = &after_open[..close];
            let target_and_more = &after_open[close + 2..];
            let target_end = target_and_more.find(')')?;
            (!label.contains('[')).then_some((label, close + 2 + target_end + 1))
        });
        match link {
            Some((label, consumed)) => {
                out.push_str(label);
                rest = &after_open[consumed..];
            }
            None => {
                out.push('[');
                rest = after_open;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Removes `<tag ...>`, `</tag>` and `<!-- ... -->`. A `<` that does not open
/// a tag (as in `a < b`) is kept. Each removed tag becomes a space so that
/// `one</p><p>two` does not glue words together.
fn strip_html_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let candidate = &rest[open..];
        let opens_tag = candidate[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match candidate.find('>').filter(|_| opens_tag) {
            Some(close) => {
                out.push(' ');
                rest = &candidate[close + 1..];
            }
            None => {
                out.push('<');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whitespace runs collapsed to one space, trimmed.
pub fn normalise_whitespace(text: &str) -> String {
    // Asked of every heading, cell and paragraph: one string, no word list.
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_their_text() {
        assert_eq!(
            clean("The role ([Role](Role_ref.md)), such as [x](a.md) or [y]."),
            "The role (Role), such as x or [y]."
        );
    }

    #[test]
    fn html_fragments_are_removed_without_gluing_words() {
        assert_eq!(
            clean("Delivered when added.</p><p></p>"),
            "Delivered when added."
        );
        assert_eq!(clean("one</p><p>two"), "one two");
        assert_eq!(clean("a < b and c>d"), "a < b and c>d");
    }

    #[test]
    fn entities_are_decoded_after_tags_are_removed() {
        assert_eq!(
            clean("say &quot;hi&quot; &amp; &#39;bye&#39; &lt;tag&gt;"),
            "say \"hi\" & 'bye' <tag>"
        );
        assert_eq!(
            decode_entities("&#x41;&#66;&unknown; AT&T"),
            "AB&unknown; AT&T"
        );
    }

    #[test]
    fn whitespace_is_normalised() {
        assert_eq!(clean("  two\n  lines\t here  "), "two lines here");
    }
}
