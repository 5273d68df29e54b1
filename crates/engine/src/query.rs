//! What a person types into the search box, parsed once for every front end, so that the
//! CLI and the app understand a query the same way.
//!
//! - Terms are joined by `+` and `-` (`dog + beach`, `dog - leash`, `-leash`) and
//!   combined as a weighted sum of unit embeddings, as rclip does; `2:dog` or
//!   `0.5:sunset` weighs a term; quotes keep a phrase whole (`"black + white"`).
//! - A term may be a photo: `photo:ID` (a catalog id), or, where the front end allows
//!   paths (the CLI), a file path starting with `/`, `./`, `../` or `~/`.
//! - Filters narrow the photos searched wherever they stand: `after:2024-06` (from the
//!   start of June 2024), `before:2024-09` (up to the end of August), `on:2024-07-14`
//!   (that day, month or year), `in:FOLDER` (photos with a folder of that name in their
//!   path, or a library album; several `in:` mean any of them).
//! - `reset` alone, or nothing, is no query: the whole gallery (with filters only, the
//!   gallery narrowed by them).
//!
//! Not here: encoding the terms and searching (see `Engine::search`).

use std::path::PathBuf;

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::PhotoId;

/// A parsed query: what to look for, and which photos to look among.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// Empty for no query: the (filtered) gallery.
    pub terms: Vec<Term>,
    pub filters: Filters,
}

/// One term of the weighted sum.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// Negative for a subtracted term.
    pub weight: f32,
    pub subject: Subject,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    Text(String),
    /// A photo of the catalog, by id.
    Photo(PhotoId),
    /// A photo file, by path as typed (`~/` not yet expanded).
    File(PathBuf),
}

/// Which photos a query looks among. Times are the photo's local time of day, as its
/// camera's clock showed it (see `Catalog`'s `taken`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// Taken at or after this moment.
    pub after: Option<NaiveDateTime>,
    /// Taken before this moment.
    pub before: Option<NaiveDateTime>,
    /// Photos in any of these folders (or library albums), matched without regard to case.
    pub folders: Vec<String>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.after.is_none() && self.before.is_none() && self.folders.is_empty()
    }
}

/// Why a query cannot be understood. Each message quotes the part at fault and says
/// what would be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("a quote (\") is opened and not closed: close it, or remove it")]
    UnclosedQuote,
    #[error("\"{operator}\" has no term after it: write one, as in `dog {operator} leash`")]
    MissingTerm { operator: char },
    #[error("{0:?}: a weight is a number above 0 before a term, as in 2:dog or 0.5:sunset")]
    BadWeight(String),
    #[error("{0:?}: a photo is named by its number in the catalog, as in photo:12")]
    BadPhoto(String),
    #[error("{0:?} is a term of its own: join it to words with + or -, as in `{0} + red`")]
    PhotoWithWords(String),
    #[error("\"{filter}{value}\": not a date; write YYYY, YYYY-MM or YYYY-MM-DD, as in {filter}2024-06")]
    BadDate { filter: &'static str, value: String },
    #[error("{0} needs a value, as in {example}", example = filter_example(.0))]
    EmptyFilter(&'static str),
    #[error("no photo is both after {after} and before {before}")]
    EmptyPeriod { after: String, before: String },
    #[error("every term is subtracted: add one to look for, as in `beach - people`")]
    OnlySubtracted,
    #[error("a photo path ({0}) cannot be searched for here: name the photo by its number, photo:ID")]
    PathNotAllowed(String),
    /// Found when the terms are encoded: `red - red`.
    #[error("the terms cancel each other out: nothing is left to look for")]
    CancelsOut,
}

fn filter_example(filter: &str) -> &'static str {
    match filter {
        "in:" => "in:Holidays or in:\"Summer 2024\"",
        _ => "after:2024-06",
    }
}

/// A word as typed: its text with quotes removed, and where its first quote opened. Only
/// the part before it can make the word an operator, a filter (`in:"Summer 2024"`), a
/// weight or a photo: `"after:2024"` is text.
struct Word {
    text: String,
    quoted_from: Option<usize>,
}

impl Word {
    fn new(text: String) -> Word {
        Word {
            text,
            quoted_from: None,
        }
    }

    /// The text before the first quote.
    fn bare(&self) -> &str {
        &self.text[..self.quoted_from.unwrap_or(self.text.len())]
    }

    /// Whether the word starts with `prefix`, typed unquoted.
    fn starts_bare_with(&self, prefix: &str) -> bool {
        self.bare().starts_with(prefix)
    }

    /// Quotes around nothing but spaces (`""`) make no word.
    fn has_text(&self) -> bool {
        !self.text.trim().is_empty()
    }
}

/// Split a query into words at whitespace outside quotes (empty quotes are no word); `+` and `-` standing alone, or
/// leading a word after whitespace (`-leash`), become words of their own.
fn words(text: &str) -> Result<Vec<Word>, QueryError> {
    let mut words: Vec<Word> = Vec::new();
    let mut current: Option<Word> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            words.extend(current.take().filter(Word::has_text));
            continue;
        }
        if c == '"' {
            let word = current.get_or_insert_with(|| Word::new(String::new()));
            word.quoted_from.get_or_insert(word.text.len());
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(inner) => word.text.push(inner),
                    None => return Err(QueryError::UnclosedQuote),
                }
            }
            continue;
        }
        if (c == '+' || c == '-') && current.is_none() {
            words.push(Word::new(c.to_string()));
            continue;
        }
        current.get_or_insert_with(|| Word::new(String::new())).text.push(c);
    }
    words.extend(current.filter(Word::has_text));
    Ok(words)
}

/// A term being gathered: its sign, weight and words.
struct Gathering {
    sign: f32,
    operator: Option<char>,
    weight: Option<f32>,
    words: Vec<Word>,
}

impl Query {
    /// Parse what a person typed. Paths as terms are understood only with `allow_paths`
    /// (the CLI): the app names photos by id alone.
    pub fn parse(text: &str, allow_paths: bool) -> Result<Query, QueryError> {
        if text.trim().eq_ignore_ascii_case("reset") {
            return Ok(Query::default());
        }
        let mut query = Query::default();
        let mut gathering = Gathering {
            sign: 1.0,
            operator: None,
            weight: None,
            words: Vec::new(),
        };
        for word in words(text)? {
            if word.quoted_from.is_none() && (word.text == "+" || word.text == "-") {
                let operator = word.text.chars().next().expect("one character");
                if let Some(term) = finish(&mut gathering, allow_paths)? {
                    query.terms.push(term);
                } else if let Some(operator) = gathering.operator {
                    // `dog + - leash`: the first operator has no term.
                    return Err(QueryError::MissingTerm { operator });
                }
                gathering.sign = if operator == '-' { -1.0 } else { 1.0 };
                gathering.operator = Some(operator);
                continue;
            }
            if query.filters.take(&word)? {
                continue;
            }
            if gathering.words.is_empty()
                && gathering.weight.is_none()
                && let Some((weight, rest)) = split_weight(&word)?
            {
                gathering.weight = Some(weight);
                if !rest.text.is_empty() {
                    gathering.words.push(rest);
                }
                continue;
            }
            gathering.words.push(word);
        }
        match finish(&mut gathering, allow_paths)? {
            Some(term) => query.terms.push(term),
            None => {
                if let Some(operator) = gathering.operator {
                    return Err(QueryError::MissingTerm { operator });
                }
            }
        }
        if !query.terms.is_empty() && query.terms.iter().all(|t| t.weight < 0.0) {
            return Err(QueryError::OnlySubtracted);
        }
        if let (Some(after), Some(before)) = (query.filters.after, query.filters.before)
            && after >= before
        {
            return Err(QueryError::EmptyPeriod {
                after: after.date().to_string(),
                before: before.date().to_string(),
            });
        }
        Ok(query)
    }

    /// Photos like one photo: "more like this".
    pub fn like(subject: Subject) -> Query {
        Query {
            terms: vec![Term { weight: 1.0, subject }],
            filters: Filters::default(),
        }
    }

    /// Whether this query asks for photos at all, or for the (filtered) gallery.
    pub fn is_gallery(&self) -> bool {
        self.terms.is_empty()
    }
}

/// The term gathered so far, if it has any words; the gathering starts again.
fn finish(gathering: &mut Gathering, allow_paths: bool) -> Result<Option<Term>, QueryError> {
    let words = std::mem::take(&mut gathering.words);
    let weight = gathering.weight.take();
    if words.is_empty() {
        return match weight {
            Some(weight) => Err(QueryError::BadWeight(format!("{weight}:"))),
            None => Ok(None),
        };
    }
    let text = words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    let first = &words[0];
    let subject = if first.starts_bare_with("photo:") {
        let id = &first.text["photo:".len()..];
        if words.len() > 1 {
            return Err(QueryError::PhotoWithWords(first.text.clone()));
        }
        match id.parse::<PhotoId>() {
            Ok(id) if id > 0 => Subject::Photo(id),
            _ => return Err(QueryError::BadPhoto(first.text.clone())),
        }
    } else if ["/", "./", "../", "~/"].iter().any(|p| text.starts_with(p)) {
        if !allow_paths {
            return Err(QueryError::PathNotAllowed(text));
        }
        Subject::File(PathBuf::from(text))
    } else {
        Subject::Text(text)
    };
    Ok(Some(Term {
        weight: gathering.sign * weight.unwrap_or(1.0),
        subject,
    }))
}

/// `2:dog` → (2, "dog"); a word that does not start with a number and a colon, unquoted,
/// is no weight.
fn split_weight(word: &Word) -> Result<Option<(f32, Word)>, QueryError> {
    let Some((number, _)) = word.bare().split_once(':') else {
        return Ok(None);
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Ok(None);
    }
    let cut = number.len() + 1;
    let rest = Word {
        text: word.text[cut..].to_owned(),
        quoted_from: word.quoted_from.map(|at| at - cut),
    };
    match number.parse::<f32>() {
        Ok(weight) if weight > 0.0 && weight.is_finite() => Ok(Some((weight, rest))),
        _ => Err(QueryError::BadWeight(word.text.clone())),
    }
}

impl Filters {
    /// Take `word` as a filter if it is one; `Ok(false)` for a word of a term.
    fn take(&mut self, word: &Word) -> Result<bool, QueryError> {
        let Some((key, _)) = word.bare().split_once(':') else {
            return Ok(false);
        };
        let value = &word.text[key.len() + 1..];
        let filter = match key.to_ascii_lowercase().as_str() {
            "after" => "after:",
            "before" => "before:",
            "on" => "on:",
            "in" => "in:",
            _ => return Ok(false),
        };
        if value.is_empty() {
            return Err(QueryError::EmptyFilter(filter));
        }
        if filter == "in:" {
            self.folders.push(value.to_owned());
            return Ok(true);
        }
        let (start, end) = period(value).ok_or_else(|| QueryError::BadDate {
            filter,
            value: value.to_owned(),
        })?;
        // Several of one kind: the narrowest period wins.
        let narrow_after = |after: &mut Option<NaiveDateTime>, at: NaiveDateTime| {
            *after = Some(after.map_or(at, |a| a.max(at)));
        };
        let narrow_before = |before: &mut Option<NaiveDateTime>, at: NaiveDateTime| {
            *before = Some(before.map_or(at, |b| b.min(at)));
        };
        match filter {
            "after:" => narrow_after(&mut self.after, start),
            "before:" => narrow_before(&mut self.before, start),
            _ => {
                narrow_after(&mut self.after, start);
                narrow_before(&mut self.before, end);
            }
        }
        Ok(true)
    }
}

/// `2024` → the year, `2024-06` → the month, `2024-06-15` → the day: where the period
/// starts and where the next one does.
fn period(text: &str) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |part: &str, digits: std::ops::RangeInclusive<usize>| -> Option<u32> {
        (digits.contains(&part.len()) && part.chars().all(|c| c.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let year = number(parts.first()?, 4..=4)? as i32;
    let (start, end) = match parts[1..] {
        [] => (
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
        ),
        [month] => {
            let start = NaiveDate::from_ymd_opt(year, number(month, 1..=2)?, 1)?;
            (start, start.checked_add_months(chrono::Months::new(1))?)
        }
        [month, day] => {
            let start = NaiveDate::from_ymd_opt(year, number(month, 1..=2)?, number(day, 1..=2)?)?;
            (start, start.succ_opt()?)
        }
        _ => return None,
    };
    debug_assert!(start.year() <= end.year());
    Some((start.and_time(Default::default()), end.and_time(Default::default())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Query {
        Query::parse(text, true).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn text(weight: f32, text: &str) -> Term {
        Term {
            weight,
            subject: Subject::Text(text.into()),
        }
    }

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_time(Default::default())
    }

    #[test]
    fn plain_words_are_one_term_and_operators_split_terms() {
        assert_eq!(
            parse("dog running on a beach").terms,
            vec![text(1.0, "dog running on a beach")]
        );
        assert_eq!(parse("dog + beach").terms, vec![text(1.0, "dog"), text(1.0, "beach")]);
        assert_eq!(parse("dog - leash").terms, vec![text(1.0, "dog"), text(-1.0, "leash")]);
        assert_eq!(
            parse("dog -leash +sand").terms,
            vec![text(1.0, "dog"), text(-1.0, "leash"), text(1.0, "sand")]
        );
        // Inside a word, + and - are the word's.
        assert_eq!(parse("t-shirt c++").terms, vec![text(1.0, "t-shirt c++")]);
        assert_eq!(parse("  red   circle ").terms, vec![text(1.0, "red circle")]);
    }

    #[test]
    fn weights_scale_terms_and_signs_apply_to_them() {
        assert_eq!(
            parse("2:dog + 0.5:sunset").terms,
            vec![text(2.0, "dog"), text(0.5, "sunset")]
        );
        assert_eq!(
            parse("beach - 3:people").terms,
            vec![text(1.0, "beach"), text(-3.0, "people")]
        );
        assert_eq!(parse("2: red circle").terms, vec![text(2.0, "red circle")]);
        // A colon after something other than a number is text.
        assert_eq!(parse("note: red").terms, vec![text(1.0, "note: red")]);
        for bad in ["0:dog", "1.2.3:dog", "dog + 2:"] {
            assert!(
                matches!(Query::parse(bad, true), Err(QueryError::BadWeight(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn quotes_keep_a_phrase_whole() {
        assert_eq!(
            parse("\"black + white\" - red").terms,
            vec![text(1.0, "black + white"), text(-1.0, "red")]
        );
        assert_eq!(parse("\"after:2024\"").terms, vec![text(1.0, "after:2024")]);
        assert_eq!(parse("\"2:dog\"").terms, vec![text(1.0, "2:dog")]);
        assert_eq!(Query::parse("a \"red star", true), Err(QueryError::UnclosedQuote));
        // Quotes around nothing are nothing.
        assert_eq!(parse("\"\" red \" \"").terms, vec![text(1.0, "red")]);
        assert_eq!(parse("\"\""), Query::default());
    }

    #[test]
    fn photos_are_terms_by_id_or_path_where_paths_are_allowed() {
        assert_eq!(
            parse("photo:12").terms,
            vec![Term {
                weight: 1.0,
                subject: Subject::Photo(12)
            }]
        );
        assert_eq!(
            parse("photo:12 - 0.5:red").terms,
            vec![
                Term {
                    weight: 1.0,
                    subject: Subject::Photo(12)
                },
                text(-0.5, "red")
            ]
        );
        assert_eq!(
            parse("./beach.jpg + sunset").terms,
            vec![
                Term {
                    weight: 1.0,
                    subject: Subject::File("./beach.jpg".into())
                },
                text(1.0, "sunset")
            ]
        );
        assert_eq!(
            parse("\"~/My Photos/a.jpg\"").terms[0].subject,
            Subject::File("~/My Photos/a.jpg".into())
        );
        assert!(matches!(
            Query::parse("/tmp/a.jpg", false),
            Err(QueryError::PathNotAllowed(_))
        ));
        assert!(matches!(Query::parse("photo:x", true), Err(QueryError::BadPhoto(_))));
        assert!(matches!(Query::parse("photo:0", true), Err(QueryError::BadPhoto(_))));
        assert!(matches!(
            Query::parse("photo:3 red", true),
            Err(QueryError::PhotoWithWords(_))
        ));
    }

    #[test]
    fn filters_stand_anywhere_and_leave_the_terms() {
        let query = parse("beach after:2024-06 + sunset before:2024-09 in:Holidays in:\"Summer 2024\"");
        assert_eq!(query.terms, vec![text(1.0, "beach"), text(1.0, "sunset")]);
        assert_eq!(query.filters.after, Some(at(2024, 6, 1)));
        assert_eq!(query.filters.before, Some(at(2024, 9, 1)));
        assert_eq!(
            query.filters.folders,
            vec!["Holidays".to_owned(), "Summer 2024".to_owned()]
        );
        // Filters alone: the gallery, narrowed.
        let only = parse("AFTER:2023 before:2024-02-29");
        assert!(only.is_gallery());
        assert_eq!(
            (only.filters.after, only.filters.before),
            (Some(at(2023, 1, 1)), Some(at(2024, 2, 29)))
        );
    }

    #[test]
    fn on_means_the_whole_day_month_or_year_and_the_narrowest_period_wins() {
        let day = parse("on:2024-12-31").filters;
        assert_eq!((day.after, day.before), (Some(at(2024, 12, 31)), Some(at(2025, 1, 1))));
        let month = parse("on:2024-2").filters;
        assert_eq!(
            (month.after, month.before),
            (Some(at(2024, 2, 1)), Some(at(2024, 3, 1)))
        );
        let year = parse("on:2024 after:2024-05 before:2025").filters;
        assert_eq!((year.after, year.before), (Some(at(2024, 5, 1)), Some(at(2025, 1, 1))));
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        for bad in [
            "after:2024-13",
            "after:24",
            "before:2023-02-29",
            "on:2024-06-01-02",
            "after:june",
        ] {
            assert!(
                matches!(Query::parse(bad, true), Err(QueryError::BadDate { .. })),
                "{bad}"
            );
        }
        assert_eq!(Query::parse("in:", true), Err(QueryError::EmptyFilter("in:")));
        assert!(matches!(
            Query::parse("after:2024-09 before:2024-06", true),
            Err(QueryError::EmptyPeriod { .. })
        ));
        let message = Query::parse("dog after:2024-13", true).unwrap_err().to_string();
        assert!(
            message.starts_with("\"after:2024-13\": not a date") && message.contains("YYYY-MM"),
            "{message}"
        );
    }

    #[test]
    fn reset_and_nothing_are_no_query() {
        for gallery in ["", "   ", "reset", " RESET "] {
            assert_eq!(parse(gallery), Query::default(), "{gallery:?}");
        }
        assert_eq!(parse("reset the red star").terms, vec![text(1.0, "reset the red star")]);
    }

    #[test]
    fn operators_need_terms_and_something_must_be_looked_for() {
        for (bad, operator) in [("dog +", '+'), ("dog + - leash", '+'), ("-", '-')] {
            assert_eq!(
                Query::parse(bad, true),
                Err(QueryError::MissingTerm { operator }),
                "{bad}"
            );
        }
        assert_eq!(Query::parse("- red", true), Err(QueryError::OnlySubtracted));
        // A leading + is harmless.
        assert_eq!(parse("+ red").terms, vec![text(1.0, "red")]);
    }

    #[test]
    fn any_text_parses_or_says_why_and_never_panics() {
        // Texts strung together from the pieces the syntax is made of, and ones it is not.
        const PIECES: [&str; 28] = [
            "dog",
            " ",
            "  ",
            "+",
            "-",
            ":",
            "\"",
            "2",
            "0.5",
            ".",
            "photo:",
            "photo:7",
            "after:",
            "before:",
            "on:",
            "in:",
            "2024",
            "-06",
            "-31",
            "é",
            "🐕",
            "/tmp/a.jpg",
            "~/",
            "nan:",
            "1e39:",
            "reset",
            "\t",
            "99999999999999999999",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        for _ in 0..20_000 {
            let length = 1 + next(8);
            let text: String = (0..length).map(|_| PIECES[next(PIECES.len())]).collect();
            for allow_paths in [false, true] {
                let Ok(query) = Query::parse(&text, allow_paths) else {
                    continue;
                };
                for term in &query.terms {
                    assert!(term.weight.is_finite() && term.weight != 0.0, "{text:?}: {term:?}");
                    if let Subject::Text(words) = &term.subject {
                        assert!(!words.trim().is_empty(), "{text:?}: an empty term");
                    }
                    if let Subject::File(_) = &term.subject {
                        assert!(allow_paths, "{text:?}: a path where paths are not allowed");
                    }
                }
                if !query.terms.is_empty() {
                    assert!(query.terms.iter().any(|t| t.weight > 0.0), "{text:?}");
                }
            }
        }
    }
}
