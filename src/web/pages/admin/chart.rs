//! The overview's bar chart of sign-ins per hour, drawn as server-side SVG (no JavaScript, no
//! chart library): this module computes the geometry, `templates/admin/overview.html` draws it.
use chrono::{DateTime, Utc};

use crate::store::stats::HourCount;

/// The drawing's coordinate system (the SVG scales to its container through `viewBox`).
pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 200;
/// Room below the bars for the hour labels.
const AXIS: u32 = 20;
const GAP: u32 = 4;

/// One hour's bar: failures stacked on top of successful sign-ins.
#[derive(Debug, PartialEq, Eq)]
pub struct Bar {
    pub x: u32,
    pub width: u32,
    /// Top and height of the successful part.
    pub y: u32,
    pub height: u32,
    /// Top and height of the failed part (above the successful one).
    pub fail_y: u32,
    pub fail_height: u32,
    /// "07:00" (UTC).
    pub hour: String,
    /// Every fourth hour is labelled under the axis.
    pub labelled: bool,
    pub succeeded: u64,
    pub failed: u64,
}

#[derive(Debug)]
pub struct Chart {
    pub bars: Vec<Bar>,
    /// The y of the axis line.
    pub axis_y: u32,
    /// The largest hourly total (the top of the scale).
    pub max: u64,
    /// One sentence for screen readers (the SVG's `<desc>`).
    pub summary: String,
}

impl Chart {
    pub fn width(&self) -> u32 {
        WIDTH
    }

    pub fn height(&self) -> u32 {
        HEIGHT
    }

    pub fn new(start: DateTime<Utc>, hours: &[HourCount]) -> Chart {
        let plot = HEIGHT - AXIS;
        let max = hours
            .iter()
            .map(|h| h.succeeded + h.failed)
            .max()
            .unwrap_or(0);
        let slot = WIDTH / u32::try_from(hours.len().max(1)).unwrap_or(1);
        // Bars scale to the busiest hour; an empty window draws no bars, only the axis.
        let scale = |n: u64| -> u32 {
            (n * u64::from(plot))
                .checked_div(max)
                .map_or(0, |h| u32::try_from(h).unwrap_or(plot))
        };
        let bars = hours
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let i = u32::try_from(i).unwrap_or(0);
                let height = scale(h.succeeded);
                let fail_height = scale(h.succeeded + h.failed) - height;
                let y = plot - height;
                Bar {
                    x: i * slot + GAP / 2,
                    width: slot - GAP,
                    y,
                    height,
                    fail_y: y - fail_height,
                    fail_height,
                    hour: (start + chrono::Duration::hours(i64::from(i)))
                        .format("%H:00")
                        .to_string(),
                    labelled: i % 4 == 0,
                    succeeded: h.succeeded,
                    failed: h.failed,
                }
            })
            .collect::<Vec<_>>();
        let summary = summary(&bars);
        Chart {
            bars,
            axis_y: plot,
            max,
            summary,
        }
    }
}

fn summary(bars: &[Bar]) -> String {
    let succeeded: u64 = bars.iter().map(|b| b.succeeded).sum();
    let failed: u64 = bars.iter().map(|b| b.failed).sum();
    let busiest = bars
        .iter()
        .filter(|b| b.succeeded + b.failed > 0)
        .max_by_key(|b| b.succeeded + b.failed);
    match busiest {
        Some(b) => format!(
            "{succeeded} sign-ins and {failed} failed attempts in the last {} hours; the busiest hour was {} UTC with {} attempts in all.",
            bars.len(),
            b.hour,
            b.succeeded + b.failed
        ),
        None => format!("No sign-in attempts in the last {} hours.", bars.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(succeeded: u64, failed: u64) -> HourCount {
        HourCount { succeeded, failed }
    }

    #[test]
    fn the_busiest_hour_fills_the_plot_and_failures_stack_on_top() {
        let start = DateTime::parse_from_rfc3339("2026-12-03T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let chart = Chart::new(start, &[hour(0, 0), hour(3, 1), hour(2, 0)]);
        let busiest = &chart.bars[1];
        assert_eq!(chart.max, 4);
        assert_eq!(busiest.fail_y, 0, "the tallest bar reaches the top");
        assert_eq!(busiest.height + busiest.fail_height, chart.axis_y);
        assert_eq!(busiest.y, busiest.fail_y + busiest.fail_height);
        assert_eq!(chart.bars[0].height, 0);
        assert_eq!(chart.bars[1].hour, "07:00");
        assert!(
            chart.summary.contains("5 sign-ins and 1 failed"),
            "{}",
            chart.summary
        );
        assert!(
            chart.summary.contains("07:00 UTC with 4"),
            "{}",
            chart.summary
        );
    }

    #[test]
    fn an_empty_window_draws_no_bars_and_says_so() {
        let chart = Chart::new(Utc::now(), &[HourCount::default(); 24]);
        assert!(
            chart
                .bars
                .iter()
                .all(|b| b.height == 0 && b.fail_height == 0)
        );
        assert_eq!(chart.summary, "No sign-in attempts in the last 24 hours.");
    }
}
