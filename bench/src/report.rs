//! Figures, their targets, the summary table and the JSON line.

use serde_json::{Map, Value, json};

use crate::loadgen::LoadReport;

#[derive(Clone, Copy, Debug)]
pub enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    fn met(self, v: f64) -> bool {
        match self {
            Goal::AtMost(t) => v <= t,
            Goal::AtLeast(t) => v >= t,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Metric {
    /// Key in the JSON line, `snake_case`.
    pub key: String,
    /// Label in the table.
    pub label: String,
    pub value: f64,
    pub unit: &'static str,
    /// Digits after the point when shown (0: an integer).
    pub decimals: usize,
    pub goal: Option<Goal>,
}

impl Metric {
    pub fn new(
        key: impl Into<String>,
        label: impl Into<String>,
        value: f64,
        unit: &'static str,
        decimals: usize,
    ) -> Self {
        Self { key: key.into(), label: label.into(), value, unit, decimals, goal: None }
    }

    pub fn at_most(mut self, t: f64) -> Self {
        self.goal = Some(Goal::AtMost(t));
        self
    }

    pub fn at_least(mut self, t: f64) -> Self {
        self.goal = Some(Goal::AtLeast(t));
        self
    }

    pub fn passed(&self) -> Option<bool> {
        self.goal.map(|g| g.met(self.value))
    }

    fn show(&self, v: f64) -> String {
        let n = format!("{v:.prec$}", prec = self.decimals);
        if self.unit.is_empty() { n } else { format!("{n} {}", self.unit) }
    }

    fn json_value(&self) -> Value {
        if !self.value.is_finite() {
            Value::Null
        } else if self.decimals == 0 {
            json!(self.value.round() as i64)
        } else {
            let scale = 10f64.powi(i32::try_from(self.decimals).unwrap_or(3));
            json!((self.value * scale).round() / scale)
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    metrics: Vec<Metric>,
    errors: Vec<(String, String)>,
}

impl Report {
    pub fn add(&mut self, m: Metric) {
        self.metrics.push(m);
    }

    pub fn value(&self, key: &str) -> Option<f64> {
        self.metrics.iter().find(|m| m.key == key).map(|m| m.value)
    }

    /// Records that a scenario could not produce its figures.
    pub fn error(&mut self, scenario: &str, msg: impl Into<String>) {
        self.errors.push((scenario.to_owned(), msg.into()));
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Every figure that has a target meets it.
    pub fn all_pass(&self) -> bool {
        self.metrics.iter().all(|m| m.passed() != Some(false))
    }

    /// The usual figures of a timed run: `{prefix}_rps`, `_p50_ms`, `_p99_ms`, `_non_200`,
    /// `_errors`. The status count and errors must be zero for a valid run.
    /// `rps_goal`, if any, applies to `{prefix}_rps`.
    pub fn add_load(&mut self, prefix: &str, label: &str, r: &LoadReport, rps_goal: Option<Goal>) {
        self.add(Metric::new(format!("{prefix}_requests"), format!("{label} requests"), r.responses as f64, "", 0));
        self.add(Metric {
            goal: rps_goal,
            ..Metric::new(format!("{prefix}_rps"), format!("{label} throughput"), r.rps(), "req/s", 1)
        });
        self.add(Metric::new(format!("{prefix}_p50_ms"), format!("{label} p50"), r.percentile_ms(50.0), "ms", 2));
        self.add(Metric::new(format!("{prefix}_p99_ms"), format!("{label} p99"), r.percentile_ms(99.0), "ms", 2));
        self.add(
            Metric::new(format!("{prefix}_non_200"), format!("{label} non-200 responses"), r.unexpected as f64, "", 0)
                .at_most(0.0),
        );
        self.add(
            Metric::new(format!("{prefix}_errors"), format!("{label} transport errors"), r.errors as f64, "", 0)
                .at_most(0.0),
        );
    }

    pub fn print_table(&self) {
        let rows: Vec<[String; 4]> = self
            .metrics
            .iter()
            .map(|m| {
                let target = match m.goal {
                    Some(Goal::AtMost(0.0)) => "= 0".to_owned(),
                    Some(Goal::AtMost(t)) => format!("≤ {}", m.show(t)),
                    Some(Goal::AtLeast(t)) => format!("≥ {}", m.show(t)),
                    None => String::new(),
                };
                let result = match m.passed() {
                    Some(true) => "PASS",
                    Some(false) => "FAIL",
                    None => "",
                };
                [m.label.clone(), m.show(m.value), target, result.to_owned()]
            })
            .collect();
        let header = ["figure", "value", "target", "result"].map(String::from);
        let mut width = header.clone().map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |row: &[String; 4]| {
            println!(
                "{:<w0$}  {:>w1$}  {:<w2$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = width[0],
                w1 = width[1],
                w2 = width[2],
            );
        };
        line(&header);
        println!("{}", "-".repeat(width.iter().sum::<usize>() + 6 + width[3]));
        for row in &rows {
            line(row);
        }
        for (scenario, msg) in &self.errors {
            println!("ERROR in {scenario}: {msg}");
        }
        let verdict = if self.has_errors() {
            "INCOMPLETE (errors above)"
        } else if self.all_pass() {
            "ALL PASS"
        } else {
            "SOME FAIL"
        };
        println!("{verdict}");
    }

    /// One line: every figure by key, plus `pass`, `failed` (keys that missed their target) and
    /// `errors` (`{scenario, message}` objects).
    pub fn json(&self) -> String {
        let mut figures = Map::new();
        for m in &self.metrics {
            figures.insert(m.key.clone(), m.json_value());
        }
        let failed: Vec<&str> =
            self.metrics.iter().filter(|m| m.passed() == Some(false)).map(|m| m.key.as_str()).collect();
        let errors: Vec<Value> = self.errors.iter().map(|(s, e)| json!({"scenario": s, "message": e})).collect();
        json!({
            "bench": "roster",
            "figures": figures,
            "pass": self.all_pass() && !self.has_errors(),
            "failed": failed,
            "errors": errors,
        })
        .to_string()
    }
}
