//! The part of Cloud Monitoring's filter language the fake understands
//! (<https://cloud.google.com/monitoring/api/v3/filters>): comparisons `SELECTOR = "VALUE"`
//! joined by `AND`, on `metric.type`, `resource.type`, `project`, `metric.labels.KEY` and
//! `resource.labels.KEY` (`label` is accepted for `labels`, as Google does). Strings are
//! double-quoted with `\"` and `\\` escapes. Anything else (OR, NOT, parentheses, other
//! operators or functions) is refused with a message, as Google refuses a malformed filter.

use std::collections::BTreeMap;

/// What a filter asks for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    /// `metric.type`: Google requires one ("The filter must specify a single metric type").
    pub metric_type: String,
    pub resource_type: Option<String>,
    pub metric_labels: BTreeMap<String, String>,
    /// Resource labels; `project` is `project_id`.
    pub resource_labels: BTreeMap<String, String>,
}

/// Parse `filter`. Errors say what is wrong and where (character positions from 0).
pub(crate) fn parse(filter: &str) -> Result<Filter, String> {
    let chars: Vec<char> = filter.chars().collect();
    let mut at = 0;
    let mut out = Filter::default();
    let mut metric_type = None;
    loop {
        skip_ws(&chars, &mut at);
        let selector = take_while(&chars, &mut at, |c| {
            c.is_ascii_alphanumeric() || c == '_' || c == '.'
        });
        if selector.is_empty() {
            return Err(format!("expected a selector at character {at}"));
        }
        skip_ws(&chars, &mut at);
        if chars.get(at) != Some(&'=') {
            return Err(format!(
                "expected '=' after {selector} at character {at} (the fake compares with = only)"
            ));
        }
        at += 1;
        skip_ws(&chars, &mut at);
        let value = quoted(&chars, &mut at)?;
        let fresh = match selector.as_str() {
            "metric.type" => metric_type.replace(value).is_none(),
            "resource.type" => out.resource_type.replace(value).is_none(),
            "project" => out
                .resource_labels
                .insert("project_id".into(), value)
                .is_none(),
            s => match label_key(s) {
                Some(("metric", key)) => out.metric_labels.insert(key.into(), value).is_none(),
                Some(("resource", key)) => out.resource_labels.insert(key.into(), value).is_none(),
                _ => return Err(format!("unknown selector {selector}")),
            },
        };
        if !fresh {
            return Err(format!("{selector} is given twice"));
        }
        skip_ws(&chars, &mut at);
        if at == chars.len() {
            break;
        }
        let word = take_while(&chars, &mut at, |c| c.is_ascii_alphabetic());
        if word != "AND" {
            return Err(format!(
                "expected AND or the end at character {} (the fake joins comparisons with AND only)",
                at - word.chars().count()
            ));
        }
    }
    out.metric_type = metric_type.ok_or("the filter must specify a single metric type")?;
    Ok(out)
}

/// `metric.labels.KEY` / `metric.label.KEY` → `("metric", KEY)`, same for `resource`.
fn label_key(selector: &str) -> Option<(&str, &str)> {
    let (owner, rest) = selector.split_once('.')?;
    let key = rest
        .strip_prefix("labels.")
        .or_else(|| rest.strip_prefix("label."))?;
    (matches!(owner, "metric" | "resource") && !key.is_empty() && !key.contains('.'))
        .then_some((owner, key))
}

fn skip_ws(chars: &[char], at: &mut usize) {
    while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
        *at += 1;
    }
}

fn take_while(chars: &[char], at: &mut usize, ok: impl Fn(char) -> bool) -> String {
    let start = *at;
    while chars.get(*at).is_some_and(|c| ok(*c)) {
        *at += 1;
    }
    chars[start..*at].iter().collect()
}

/// A double-quoted string at `at`, its escapes undone.
fn quoted(chars: &[char], at: &mut usize) -> Result<String, String> {
    if chars.get(*at) != Some(&'"') {
        return Err(format!("expected a double-quoted string at character {at}"));
    }
    let start = *at;
    *at += 1;
    let mut out = String::new();
    loop {
        match chars.get(*at) {
            None => return Err(format!("the string at character {start} is not closed")),
            Some('"') => {
                *at += 1;
                return Ok(out);
            }
            Some('\\') => match chars.get(*at + 1) {
                Some(c @ ('"' | '\\')) => {
                    out.push(*c);
                    *at += 2;
                }
                _ => return Err(format!("bad escape at character {at}")),
            },
            Some(c) => {
                out.push(*c);
                *at += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_usage_client_sends() {
        let f = parse(
            "metric.type=\"serviceruntime.googleapis.com/quota/allocation/usage\" AND \
             resource.type = \"consumer_quota\"  AND metric.labels.quota_metric=\"a/b\" AND \
             resource.label.location=\"us-east1\" AND project=\"p\"",
        )
        .unwrap();
        assert_eq!(
            f.metric_type,
            "serviceruntime.googleapis.com/quota/allocation/usage"
        );
        assert_eq!(f.resource_type.as_deref(), Some("consumer_quota"));
        assert_eq!(f.metric_labels["quota_metric"], "a/b");
        assert_eq!(f.resource_labels["location"], "us-east1");
        assert_eq!(f.resource_labels["project_id"], "p");
        assert_eq!(
            parse(r#"metric.type="a\"b\\c""#).unwrap().metric_type,
            "a\"b\\c"
        );
    }

    #[test]
    fn refuses_what_it_does_not_understand_and_says_where() {
        for (filter, says) in [
            ("", "expected a selector at character 0"),
            ("resource.type=\"x\"", "single metric type"),
            (
                "metric.type=\"a\" OR metric.type=\"b\"",
                "expected AND or the end at character 16",
            ),
            ("metric.type=\"a", "not closed"),
            ("metric.type=a", "double-quoted string at character 12"),
            ("metric.type!=\"a\"", "expected '='"),
            ("metric.type=\"a\" AND metric.type=\"b\"", "given twice"),
            (
                "metric.type=\"a\" AND metric.labels=\"b\"",
                "unknown selector metric.labels",
            ),
            ("metric.type=\"a\" AND", "expected a selector at character"),
        ] {
            let e = parse(filter).unwrap_err();
            assert!(e.contains(says), "{filter:?}: {e}");
        }
    }
}
