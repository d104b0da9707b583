//! The customer's chosen variant in words ("Color: Red · Size: L"), as the store's order
//! payload gives it. A manual vendor picks the goods by hand at the supplier's page and sees
//! no store ids, so the option names and values are what tell them which one to buy (seed
//! 001: "the variant selected by the customer").
//!
//! What each platform sends differs (the transformers map it): WooCommerce names every
//! attribute (`display_key` "Color", `display_value` "Red"); Shopify's order webhook carries
//! only the values (`variant_title` "Red / L") plus the line's `properties` (name and value,
//! e.g. an engraving). So a word's name is optional.

use serde::{Deserialize, Serialize};

/// At most this many words per line: a line with hundreds of properties (an app's data)
/// must not swell every page and mail that shows it.
pub const MAX_WORDS: usize = 16;
/// At most this many characters per name or value (longer text is cut, with "…").
pub const MAX_CHARS: usize = 200;

/// One chosen option or customisation of a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantWord {
    /// The option's name (`Color`); `None` when the platform sends only the value.
    pub name: Option<String>,
    /// What the customer chose (`Red`, `Red / L`, `Happy Birthday`).
    pub value: String,
}

impl VariantWord {
    /// A word from what a store sent: trimmed, control characters turned into spaces (a mail
    /// line stays one line), cut to [`MAX_CHARS`]. `None` when the value is blank; a blank
    /// name is no name.
    pub fn new(name: Option<&str>, value: &str) -> Option<VariantWord> {
        let value = clean(value)?;
        Some(VariantWord {
            name: name.and_then(clean),
            value,
        })
    }
}

/// Whether a store key or property name is private: WooCommerce hides meta keys starting
/// with `_` (`_reduced_stock`, plugins' data) from the order screen, and Shopify's themes
/// hide line-item properties whose name starts with `_` from the cart and checkout. Neither
/// is something the customer chose.
pub fn is_private(name: &str) -> bool {
    name.trim_start().starts_with('_')
}

/// The first [`MAX_WORDS`] words.
pub fn bounded(words: impl IntoIterator<Item = VariantWord>) -> Vec<VariantWord> {
    words.into_iter().take(MAX_WORDS).collect()
}

/// The words as one line: "Color: Red · Size: L"; a word without a name is its value alone
/// ("Red / L · Engraving: Ana"). Empty when there are none.
pub fn in_words(words: &[VariantWord]) -> String {
    words
        .iter()
        .map(|w| match &w.name {
            Some(name) => format!("{name}: {}", w.value),
            None => w.value.clone(),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn clean(text: &str) -> Option<String> {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = spaced.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.chars().count() <= MAX_CHARS {
        return Some(trimmed.to_string());
    }
    let mut cut: String = trimmed.chars().take(MAX_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    Some(cut)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn word(name: Option<&str>, value: &str) -> VariantWord {
        VariantWord::new(name, value).unwrap()
    }

    #[test]
    fn named_and_unnamed_words_read_as_one_line() {
        let words = [
            word(Some("Color"), "Red"),
            word(Some("Size"), "L"),
            word(None, "Red / L"),
        ];
        assert_eq!(in_words(&words), "Color: Red · Size: L · Red / L");
        assert_eq!(in_words(&[]), "");
    }

    #[test]
    fn blanks_are_dropped_and_text_is_one_bounded_line() {
        assert_eq!(VariantWord::new(Some("Color"), "  "), None);
        assert_eq!(word(Some(" "), "Red").name, None);
        assert_eq!(word(Some("Note"), "a\r\nb").value, "a  b");
        let long = "x".repeat(MAX_CHARS + 50);
        let cut = word(None, &long).value;
        assert_eq!(cut.chars().count(), MAX_CHARS);
        assert!(cut.ends_with('…'));
        let exact = "é".repeat(MAX_CHARS);
        assert_eq!(
            word(None, &exact).value,
            exact,
            "multi-byte text cut by characters"
        );
    }

    #[test]
    fn at_most_max_words_are_kept() {
        let many = (0..MAX_WORDS + 5).map(|i| word(None, &i.to_string()));
        assert_eq!(bounded(many).len(), MAX_WORDS);
    }

    #[test]
    fn private_names_start_with_an_underscore() {
        assert!(is_private("_reduced_stock"));
        assert!(is_private(" _hidden"));
        assert!(!is_private("pa_color"));
        assert!(!is_private("Engraving"));
    }
}
