//! The overview's charts: the last hour, one bar per minute, drawn on the server as inline SVG
//! (no script, no image request). Colours come from the style sheet, by class.

use maud::{Markup, html};
use smartreach_store::{AttemptOutcome, MINUTE_MS, MinuteActivity};

use super::time::clock;

/// Minutes shown.
pub const MINUTES: usize = 60;

const BAR: i64 = 10;
const LEFT: i64 = 44;
const TOP: i64 = 8;
const HEIGHT: i64 = 110;

/// One bar of a chart: its minute and its stacked parts (class, count).
struct Bar {
    minute: i64,
    parts: Vec<(&'static str, u64)>,
}

/// The 60 minutes up to `now`'s minute, each with its activity (or nothing).
fn last_hour(minutes: &[MinuteActivity], now: i64) -> Vec<(i64, Option<&MinuteActivity>)> {
    let last = now.div_euclid(MINUTE_MS) * MINUTE_MS;
    (0..MINUTES as i64)
        .map(|back| last - (MINUTES as i64 - 1 - back) * MINUTE_MS)
        .map(|minute| (minute, minutes.iter().find(|m| m.minute == minute)))
        .collect()
}

/// Webhooks received per minute over the last hour.
pub fn webhooks(minutes: &[MinuteActivity], now: i64) -> Markup {
    let bars = last_hour(minutes, now)
        .into_iter()
        .map(|(minute, activity)| Bar {
            minute,
            parts: vec![("webhooks", activity.map_or(0, |a| a.webhooks))],
        })
        .collect();
    draw("Webhooks received per minute, last hour", "webhooks", bars)
}

/// Delivery attempts per minute over the last hour, stacked by outcome.
pub fn attempts(minutes: &[MinuteActivity], now: i64) -> Markup {
    let bars = last_hour(minutes, now)
        .into_iter()
        .map(|(minute, activity)| Bar {
            minute,
            parts: AttemptOutcome::ALL
                .iter()
                .map(|outcome| {
                    (
                        outcome.as_str(),
                        activity.map_or(0, |a| a.attempts.get(*outcome)),
                    )
                })
                .collect(),
        })
        .collect();
    draw(
        "Delivery attempts per minute by outcome, last hour",
        "attempts",
        bars,
    )
}

/// One bar as drawn: where, its tooltip, and its stacked rectangles (class, y, height).
struct Drawn {
    x: i64,
    tooltip: String,
    rects: Vec<(&'static str, i64, i64)>,
}

fn draw(label: &str, unit: &str, bars: Vec<Bar>) -> Markup {
    let peak = bars
        .iter()
        .map(|bar| bar.parts.iter().map(|(_, count)| count).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let width = LEFT + BAR * MINUTES as i64 + 4;
    let base = TOP + HEIGHT;
    let first = bars.first().map_or(0, |bar| bar.minute);
    let last = bars.last().map_or(0, |bar| bar.minute);
    let drawn: Vec<Drawn> = bars
        .iter()
        .enumerate()
        .map(|(index, bar)| {
            let total: u64 = bar.parts.iter().map(|(_, count)| count).sum();
            let mut tooltip = format!("{}: {total} {unit}", clock(bar.minute));
            let mut top = base;
            let mut rects = Vec::new();
            for (class, count) in bar.parts.iter().filter(|(_, count)| *count > 0) {
                if bar.parts.len() > 1 {
                    tooltip.push_str(&format!(", {count} {class}"));
                }
                let height = ((*count as i64 * HEIGHT) / peak as i64).max(1);
                top -= height;
                rects.push((*class, top, height));
            }
            Drawn {
                x: LEFT + index as i64 * BAR,
                tooltip,
                rects,
            }
        })
        .collect();
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (base + 22) }
            role="img" aria-label=(label) {
            title { (label) }
            line.axis x1=(LEFT - 2) y1=(TOP) x2=(LEFT - 2) y2=(base) {}
            line.axis x1=(LEFT - 2) y1=(base) x2=(width) y2=(base) {}
            text.tick x=(LEFT - 6) y=(TOP + 8) text-anchor="end" { (peak) }
            text.tick x=(LEFT - 6) y=(base) text-anchor="end" { "0" }
            text.tick x=(LEFT) y=(base + 16) { (clock(first)) }
            text.tick x=(width - 2) y=(base + 16) text-anchor="end" { (clock(last)) " UTC" }
            @for bar in &drawn {
                g {
                    title { (bar.tooltip) }
                    rect.slot x=(bar.x) y=(TOP) width=(BAR - 1) height=(HEIGHT) {}
                    @for (class, y, height) in &bar.rects {
                        rect class=(class) x=(bar.x) y=(y) width=(BAR - 1) height=(height) {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use smartreach_store::OutcomeCounts;

    use super::*;

    #[test]
    fn the_last_hour_has_a_bar_per_minute_scaled_to_the_busiest() {
        let now = 100 * MINUTE_MS + 30_000;
        let minutes = [
            MinuteActivity {
                minute: 100 * MINUTE_MS,
                webhooks: 4,
                attempts: OutcomeCounts {
                    done: 3,
                    fault: 1,
                    ..OutcomeCounts::default()
                },
            },
            MinuteActivity {
                minute: 99 * MINUTE_MS,
                webhooks: 2,
                attempts: OutcomeCounts::default(),
            },
        ];
        let svg = webhooks(&minutes, now).into_string();
        assert_eq!(svg.matches("class=\"slot\"").count(), MINUTES);
        assert_eq!(
            svg.matches("class=\"webhooks\"").count(),
            2,
            "two minutes had webhooks"
        );
        assert!(
            svg.contains(&format!(
                "class=\"webhooks\" x=\"{}\" y=\"{TOP}\" width=\"9\" height=\"{HEIGHT}\"",
                LEFT + 59 * BAR
            )),
            "the busiest minute fills the height: {svg}"
        );
        assert!(svg.contains("01:40: 4 webhooks"), "{svg}");
        assert!(svg.contains("01:39: 2 webhooks"), "{svg}");
        let svg = attempts(&minutes, now).into_string();
        assert!(svg.contains("01:40: 4 attempts, 3 done, 1 fault"), "{svg}");
        assert_eq!(svg.matches("class=\"fault\"").count(), 1);
    }
}
