//! `digicert-mock`: runs the fake CertCentral until killed and prints its base URL.
//!
//! ```text
//! digicert-mock [--port N] [--orders N] [--api-key KEY] [--seed N] [--reference-time RFC3339]
//!               [--latency-ms N] [--spike-every N --spike-ms N] [--rate-limit] [--retry-after SECONDS]
//!               [--lazy-certificates]
//! ```
//!
//! It makes every order's certificate before it prints the base URL (on every core, about
//! 2 s for 100,000 orders on two), so that the first pull of the report, which benchmarks
//! time, is as fast as the next; `--lazy-certificates` makes each when first needed instead.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use digicert_mock::{FaultPlan, LatencySpike, MockConfig, MockServer, RateLimit};

const USAGE: &str = "usage: digicert-mock [--port N] [--orders N] [--api-key KEY] [--seed N] \
[--reference-time RFC3339] [--latency-ms N] [--spike-every N --spike-ms N] [--rate-limit] \
[--retry-after SECONDS] [--lazy-certificates]

Serves a fake DigiCert CertCentral (order endpoints) on 127.0.0.1 until killed.
Prints the base URL (http://127.0.0.1:PORT/services/v2) on the first line of output.
  --port N             port to listen on (default 0: a free one)
  --orders N           number of orders (default 2500)
  --api-key KEY        the X-DC-DEVKEY requests must carry (default mock-api-key)
  --seed N             dataset seed
  --reference-time T   \"now\" for the dataset, e.g. 2024-03-10T12:00:00Z (default: start time)
  --latency-ms N       latency added to every answer
  --spike-every N      every N-th request is slower by --spike-ms
  --spike-ms N         extra latency of spikes (default 500)
  --rate-limit         enforce DigiCert's limits (100 per 5 s, 1000 per 3 min, per key)
  --retry-after S      send Retry-After: S with 429 answers
  --lazy-certificates  make each order's certificate when first needed, not all before
                       printing the base URL (a quicker start, slower first pages)";

fn main() -> ExitCode {
    let (config, lazy) = match parse(std::env::args().skip(1)) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            // `digicert-mock --help | head -1` closes the pipe early: not a failure.
            let mut stdout = std::io::stdout();
            let _ = writeln!(stdout, "{USAGE}").and_then(|()| stdout.flush());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("digicert-mock: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match MockServer::start_background(config) {
        Ok(server) => server,
        Err(err) => {
            eprintln!("digicert-mock: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    if !lazy {
        server.dataset().make_certificates();
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{}", server.base_url());
    let _ = stdout.flush();
    eprintln!(
        "digicert-mock: {} orders at {} (Ctrl-C to stop)",
        server.dataset().len(),
        server.base_url()
    );
    loop {
        std::thread::park();
    }
}

/// The configuration the arguments ask for, and whether certificates are made lazily;
/// `None` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<(MockConfig, bool)>, String> {
    let mut config = MockConfig::default();
    let mut lazy = false;
    let mut faults = FaultPlan::default();
    let mut spike_every = 0;
    let mut spike_ms = 500;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => config = config.with_port(number(&flag, &value()?)?),
            "--orders" => config = config.with_orders(number(&flag, &value()?)?),
            "--api-key" => config = config.with_api_key(value()?),
            "--seed" => config = config.with_seed(number(&flag, &value()?)?),
            "--reference-time" => {
                let text = value()?;
                let time = DateTime::parse_from_rfc3339(&text)
                    .map_err(|err| format!("--reference-time {text}: {err}"))?;
                config = config.with_reference_time(time.with_timezone(&Utc));
            }
            "--latency-ms" => faults.latency = Duration::from_millis(number(&flag, &value()?)?),
            "--spike-every" => spike_every = number(&flag, &value()?)?,
            "--spike-ms" => spike_ms = number(&flag, &value()?)?,
            "--rate-limit" => faults.rate_limits = RateLimit::digicert(),
            "--lazy-certificates" => lazy = true,
            "--retry-after" => {
                faults.retry_after = Some(Duration::from_secs(number(&flag, &value()?)?));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if spike_every > 0 {
        faults.spike = Some(LatencySpike {
            every: spike_every,
            extra: Duration::from_millis(spike_ms),
        });
    }
    Ok(Some((config.with_faults(faults), lazy)))
}

/// A flag's value as a number.
fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag} takes a whole number, not {text:?}"))
}
