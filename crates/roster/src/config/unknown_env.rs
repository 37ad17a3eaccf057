//! Misspelt variables. figment reads only the variables it is told about, so a typo such as
//! `ROSTER_LISTN` would be ignored without a word and the server would quietly run on a default.
//! At start every `ROSTER_*` and `QM_*` variable of the environment is checked against the ones
//! this build reads, and each unknown one is reported with the closest known name (as lldap
//! does). A warning, not an error: an orchestrator may set variables for a newer version.

use super::{QM_KEYS, ROSTER_KEYS};

/// Variables read outside [`super::Settings`]: by the test suite and the benchmark harness,
/// which share an environment with the servers they start.
const ALSO_KNOWN: [&str; 1] = ["ROSTER_TEST_DATABASE_URL"];

/// A variable named like a setting that this build does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariable {
    pub name: String,
    /// The known variable it most likely meant, if one is close.
    pub closest: Option<String>,
}

/// The `ROSTER_*` / `QM_*` names among `names` that are not read, each with its closest known
/// variable (at most a third of the name's letters apart).
pub fn unknown_variables(names: impl IntoIterator<Item = String>) -> Vec<UnknownVariable> {
    let known: Vec<String> = ROSTER_KEYS
        .iter()
        .map(|k| format!("ROSTER_{k}"))
        .chain(QM_KEYS.iter().map(|k| (*k).to_owned()))
        .chain(ALSO_KNOWN.iter().map(|k| (*k).to_owned()))
        .collect();
    let mut unknown: Vec<UnknownVariable> = names
        .into_iter()
        .filter(|name| {
            let upper = name.to_ascii_uppercase();
            // figment matches names without regard to case, so `roster_listen` is read too.
            (upper.starts_with("ROSTER_") || upper.starts_with("QM_")) && !known.contains(&upper)
        })
        .map(|name| {
            let upper = name.to_ascii_uppercase();
            let closest = known
                .iter()
                .map(|k| (strsim::levenshtein(&upper, k), k))
                .min()
                .filter(|(distance, _)| *distance <= upper.len().div_ceil(3))
                .map(|(_, k)| k.clone());
            UnknownVariable { name, closest }
        })
        .collect();
    unknown.sort_by(|a, b| a.name.cmp(&b.name));
    unknown
}

/// Log a warning for each unknown variable of this process's environment.
pub fn warn_unknown_variables() {
    let names = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
    for variable in unknown_variables(names) {
        if let Some(closest) = &variable.closest {
            tracing::warn!(
                variable = %variable.name,
                did_you_mean = %closest,
                "unknown configuration variable {} (ignored); did you mean {closest}?",
                variable.name
            );
        } else {
            tracing::warn!(
                variable = %variable.name,
                "unknown configuration variable {} (ignored): this version does not read it",
                variable.name
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(names: &[&str]) -> Vec<UnknownVariable> {
        unknown_variables(names.iter().map(|n| (*n).to_owned()))
    }

    #[test]
    fn known_and_foreign_variables_are_not_reported() {
        assert!(
            check(&["ROSTER_LISTEN", "QM_ACCOUNT_SYNC", "ROSTER_TEST_DATABASE_URL", "PATH", "HOME", "RUST_LOG"])
                .is_empty()
        );
    }

    #[test]
    fn a_typo_is_reported_with_the_closest_known_name() {
        let found =
            check(&["ROSTER_LISTN", "QM_USER_ANALITYCS", "ROSTER_DATABSE_URL", "roster_listen", "roster_lisen"]);
        let pairs: Vec<(&str, Option<&str>)> = found.iter().map(|u| (u.name.as_str(), u.closest.as_deref())).collect();
        assert_eq!(
            pairs,
            [
                ("QM_USER_ANALITYCS", Some("QM_USER_ANALYTICS")),
                ("ROSTER_DATABSE_URL", Some("ROSTER_DATABASE_URL")),
                ("ROSTER_LISTN", Some("ROSTER_LISTEN")),
                // Names are read without regard to case (`roster_listen` is), and so checked.
                ("roster_lisen", Some("ROSTER_LISTEN")),
            ]
        );
    }

    #[test]
    fn a_name_far_from_every_setting_gets_no_suggestion() {
        assert_eq!(
            check(&["ROSTER_FLUX_CAPACITOR_MODE"]),
            [UnknownVariable { name: "ROSTER_FLUX_CAPACITOR_MODE".into(), closest: None }]
        );
    }
}
