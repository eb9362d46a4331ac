//! A live count on stderr while every page is pulled, only when a person is watching:
//! items done, the rate (rounded), and an ETA when the total is known.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// Without a known total: a spinner, the count, the rate and the time so far.
const COUNTER: &str = "{spinner} {human_pos} {msg} ({rate}, {elapsed})";
/// With a known total: the count out of the total, the rate and the time left.
const BAR: &str = "{spinner} {human_pos}/{human_len} {msg} ({rate}, ETA {eta})";

/// A spinner counting `what`, or a hidden one when stderr is not a terminal or `quiet` is set.
pub fn counter(quiet: bool, what: &'static str) -> ProgressBar {
    shown(quiet, ProgressBar::new_spinner(), COUNTER, what)
}

/// A count of `what` out of `total`, with an ETA; hidden as [`counter`] is.
pub fn bar(quiet: bool, total: u64, what: &'static str) -> ProgressBar {
    shown(quiet, ProgressBar::new(total), BAR, what)
}

/// `bar` styled with `template` and ticking, if a person is watching stderr.
fn shown(quiet: bool, bar: ProgressBar, template: &str, what: &'static str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = bar.with_style(style(template)).with_message(what);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The style of a template, with `{rate}`: items per second, rounded to a whole number.
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "rate",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.0}/s", state.per_sec());
            },
        )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io;
    use std::sync::{Arc, Mutex};

    use indicatif::{ProgressDrawTarget, TermLike};

    use super::*;

    /// A terminal that keeps the last line drawn.
    #[derive(Debug, Default, Clone)]
    struct Screen(Arc<Mutex<String>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, line: &str) -> io::Result<()> {
            self.write_str(line)
        }
        fn write_str(&self, text: &str) -> io::Result<()> {
            if !text.trim().is_empty() {
                *self.0.lock().unwrap() = text.to_owned();
            }
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    fn drawn(bar: ProgressBar, screen: &Screen) -> String {
        bar.set_draw_target(ProgressDrawTarget::term_like(Box::new(screen.clone())));
        bar.inc(1234);
        bar.tick();
        screen.0.lock().unwrap().clone()
    }

    #[test]
    fn a_known_total_shows_done_of_total_a_whole_rate_and_an_eta() {
        let screen = Screen::default();
        let bar = ProgressBar::new(2500)
            .with_style(style(BAR))
            .with_message("orders");
        let line = drawn(bar, &screen);
        assert!(line.contains("1,234/2,500 orders ("), "{line}");
        assert!(line.contains("/s, ETA "), "{line}");
        let rate = line.split(" (").nth(1).unwrap().split("/s").next().unwrap();
        assert!(
            rate.chars().all(|c| c.is_ascii_digit() || c == ','),
            "{line}"
        );
    }

    #[test]
    fn an_unknown_total_shows_the_count_rate_and_time_so_far() {
        let screen = Screen::default();
        let bar = ProgressBar::new_spinner()
            .with_style(style(COUNTER))
            .with_message("orders");
        let line = drawn(bar, &screen);
        assert!(line.contains("1,234 orders ("), "{line}");
        assert!(line.contains("/s, "), "{line}");
        assert!(!line.contains("ETA"), "{line}");
    }

    #[test]
    fn nothing_is_drawn_when_quiet() {
        assert!(counter(true, "orders").is_hidden());
        assert!(bar(true, 10, "orders").is_hidden());
    }
}
