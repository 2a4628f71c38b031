//! What the parts of a UCWA page look like, in one place: a section heading
//! and a bare line naming a section, a table header and the web-link table,
//! the "Applies to" line, page furniture, a title, and the first line of a
//! sample. The markdown and rendered readers, the recovery of lost headings
//! and the interpreter all ask here, so they never disagree about a line.

mod prose;
mod sample;
mod section;
mod table;

pub use prose::{
    is_applies_to, is_chrome, is_contents_caption, is_furniture, is_heading_shaped, is_html_anchor,
    is_identifier_with_noise, is_in_page_link_line, is_markdown_structure, is_none,
    is_title_shaped, name_from_title, names_section, reads_as_sentence, starts_like_prose,
    word_count,
};
pub use sample::{
    inline_sample_at, is_fence, is_header_line, is_http_start_line, is_message_start_line,
    sample_start, starts_loose_markdown_sample, JsonDepth, SampleStart,
};
pub use section::Section;
pub use table::{
    is_errors_sentence, is_free_text_column, is_relationships_sentence, is_response_sentence,
    is_spaced_header, is_web_link_intro, is_web_link_row, is_web_link_table, run_together_header,
    TableKind, COLUMN_WORDS,
};
