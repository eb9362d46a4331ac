//! `digicert-mock --help | head -1`: a reader that goes away early is not a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::io::Read;
use std::process::{Command, Stdio};

#[test]
fn help_into_a_closed_pipe_exits_0_without_a_panic() {
    for _ in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_digicert-mock"))
            .arg("--help")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the child writes: its write fails with EPIPE.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(status.code(), Some(0), "{stderr}");
    }
}
