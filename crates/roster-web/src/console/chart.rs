//! Small bar charts drawn on the server as inline SVG (no chart library runs in the browser):
//! sign-ins per day on a user's page, jobs by queue and state on the jobs page. Each chart is an
//! image with a text alternative that says every value, so it reads without being seen.

use std::fmt::Write;

/// One bar: its label (in the text alternative), its value, and the text under it, if any.
pub(crate) struct Bar {
    pub label: String,
    pub value: u64,
    pub tick: Option<String>,
}

const HEIGHT: u32 = 120;
const LABEL_SPACE: u32 = 18;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A bar chart of `bars`, titled `title`.
pub(crate) fn bars(title: &str, bars: &[Bar]) -> String {
    let width_each: u32 = if bars.len() > 12 { 24 } else { 48 };
    let width = width_each * u32::try_from(bars.len()).unwrap_or(0).max(1);
    let top = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let described: Vec<String> = bars.iter().map(|b| format!("{}: {}", b.label, b.value)).collect();
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {width} {}\" width=\"100%\" preserveAspectRatio=\"none\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(&format!("{title}. {}", described.join(", "))),
        HEIGHT + LABEL_SPACE,
        escape(title),
    );
    for (i, bar) in bars.iter().enumerate() {
        let x = width_each * u32::try_from(i).unwrap_or(0);
        let h = u32::try_from(bar.value * u64::from(HEIGHT) / top).unwrap_or(HEIGHT);
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{h}\"><title>{}: {}</title></rect>",
            x + 2,
            HEIGHT - h,
            width_each - 4,
            escape(&bar.label),
            bar.value
        );
        if let Some(tick) = &bar.tick {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"10\">{}</text>",
                x + 1,
                HEIGHT + LABEL_SPACE - 4,
                escape(tick)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_says_every_value_in_its_text_alternative_and_escapes_labels() {
        let svg = bars(
            "Jobs",
            &[
                Bar { label: "<sync>".into(), value: 3, tick: Some("<sync>".into()) },
                Bar { label: "mail".into(), value: 0, tick: None },
            ],
        );
        assert!(svg.contains("aria-label=\"Jobs. &lt;sync&gt;: 3, mail: 0\""), "{svg}");
        assert!(svg.contains("height=\"120\""), "the largest bar is full height: {svg}");
        assert!(svg.contains("height=\"0\""), "{svg}");
        assert!(!svg.contains("<sync>"));
        assert_eq!(svg.matches("<text").count(), 1, "only the bars with a tick are labelled");
    }
}
