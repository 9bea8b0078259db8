//! Google Cloud project IDs: the rule a project ID must follow before it goes into any URL
//! (SPEC §4; <https://cloud.google.com/resource-manager/docs/creating-managing-projects>).

/// Check `id` against Google's project ID rule: 6–30 characters of lowercase letters,
/// digits and hyphens, starting with a letter, not ending with a hyphen.
///
/// Errors with a message that names the project ID and the rule it breaks, e.g.
/// `project ID 'My-Proj' is not valid: only lowercase letters, digits and hyphens are allowed`.
pub fn validate_project_id(id: &str) -> Result<(), String> {
    let broken = |rule: &str| Err(format!("project ID '{id}' is not valid: {rule}"));
    let len = id.chars().count();
    if !(6..=30).contains(&len) {
        return broken(&format!(
            "it must be 6 to 30 characters long (it has {len})"
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return broken(&format!(
            "only lowercase letters, digits and hyphens are allowed (found '{c}')"
        ));
    }
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        return broken("it must start with a lowercase letter");
    }
    if id.ends_with('-') {
        return broken("it must not end with a hyphen");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_google_shaped_ids() {
        for id in [
            "my-project",
            "abcdef",
            "a23456",
            "ml-training-42",
            "a".repeat(30).as_str(),
        ] {
            assert_eq!(validate_project_id(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn refuses_each_broken_rule_and_names_it() {
        let cases = [
            ("short", "6 to 30"),
            (&"a".repeat(31), "6 to 30"),
            ("My-Project", "lowercase letters, digits and hyphens"),
            ("my_project", "found '_'"),
            ("my/project/../x", "found '/'"),
            ("1project", "start with a lowercase letter"),
            ("-project", "start with a lowercase letter"),
            ("project-", "must not end with a hyphen"),
            ("", "6 to 30"),
        ];
        for (id, rule) in cases {
            let err = validate_project_id(id).unwrap_err();
            assert!(err.contains(&format!("'{id}'")), "{err}");
            assert!(err.contains(rule), "{id}: {err}");
        }
    }
}
