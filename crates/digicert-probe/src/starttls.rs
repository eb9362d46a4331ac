//! STARTTLS: the plain-text opening some servers want before the TLS handshake (SMTP, IMAP,
//! POP3, FTP, PostgreSQL). Only the lines that ask for TLS are sent; every reply is read a
//! bounded line at a time.

use std::fmt;
use std::io;
use std::str::FromStr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::ParseError;

/// A protocol whose server is asked to switch to TLS before the handshake.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StartTls {
    /// SMTP: `EHLO`, then `STARTTLS` (RFC 3207).
    Smtp,
    /// IMAP: `a001 STARTTLS` (RFC 9051).
    Imap,
    /// POP3: `STLS` (RFC 2595).
    Pop3,
    /// FTP: `AUTH TLS` (RFC 4217).
    Ftp,
    /// PostgreSQL: an `SSLRequest` message.
    Postgres,
}

impl StartTls {
    /// Every protocol, in the order the docs list them.
    pub const ALL: [StartTls; 5] = [
        StartTls::Smtp,
        StartTls::Imap,
        StartTls::Pop3,
        StartTls::Ftp,
        StartTls::Postgres,
    ];

    /// The name used in `starttls=`: `smtp`, `imap`, `pop3`, `ftp`, `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            StartTls::Smtp => "smtp",
            StartTls::Imap => "imap",
            StartTls::Pop3 => "pop3",
            StartTls::Ftp => "ftp",
            StartTls::Postgres => "postgres",
        }
    }

    /// The protocol's name in messages.
    fn title(self) -> &'static str {
        match self {
            StartTls::Smtp => "SMTP",
            StartTls::Imap => "IMAP",
            StartTls::Pop3 => "POP3",
            StartTls::Ftp => "FTP",
            StartTls::Postgres => "PostgreSQL",
        }
    }
}

impl fmt::Display for StartTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads `smtp`, `imap`, `pop3`, `ftp` or `postgres`, in any case.
impl FromStr for StartTls {
    type Err = ParseError;

    fn from_str(name: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|protocol| protocol.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| ParseError::StartTls { name: name.into() })
    }
}

/// Why the server did not switch to TLS; the text says what it answered.
#[derive(Debug)]
pub(crate) enum Failure {
    /// It answered, but not yes: its line is in the text.
    Refused(String),
    /// What it sent is not this protocol, or not within the limits.
    NotProtocol(String),
    /// It closed the connection.
    Closed,
    /// Reading or writing failed.
    Io(io::Error),
}

impl Failure {
    /// The reason given in the observation.
    pub(crate) fn reason(&self, protocol: StartTls) -> String {
        let title = protocol.title();
        match self {
            Failure::Refused(what) => format!("the {title} server refused STARTTLS: {what}"),
            Failure::NotProtocol(what) => format!("no {title} STARTTLS: {what}"),
            Failure::Closed => {
                format!("the server closed the connection during the {title} STARTTLS exchange")
            }
            Failure::Io(err) => format!("the {title} STARTTLS exchange failed: {err}"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            Failure::Closed
        } else {
            Failure::Io(err)
        }
    }
}

/// Longest reply line read, in bytes (SMTP allows 512).
const MAX_LINE: usize = 1024;
/// Most lines in one reply (a multi-line greeting or EHLO answer, untagged IMAP lines).
const MAX_LINES: usize = 100;
/// Longest part of a server's line quoted in a reason.
const QUOTE: usize = 200;

/// PostgreSQL's request for TLS: a length of 8 and the code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Asks the server on `stream` to switch to TLS with `protocol`; `Ok` when it agreed and
/// the TLS handshake may start. `helo` is the name SMTP's `EHLO` gives.
pub(crate) async fn negotiate<S>(
    stream: &mut S,
    protocol: StartTls,
    helo: &str,
) -> Result<(), Failure>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut lines = Lines::new(stream);
    match protocol {
        StartTls::Smtp => smtp(&mut lines, helo).await?,
        StartTls::Imap => imap(&mut lines).await?,
        StartTls::Pop3 => pop3(&mut lines).await?,
        StartTls::Ftp => ftp(&mut lines).await?,
        StartTls::Postgres => return postgres(lines.stream).await,
    }
    lines.nothing_more()
}

async fn smtp<S: AsyncRead + AsyncWrite + Unpin>(
    lines: &mut Lines<'_, S>,
    helo: &str,
) -> Result<(), Failure> {
    lines.expect_code(220, "greeting").await?;
    lines.send(&format!("EHLO {helo}\r\n")).await?;
    lines.expect_code(250, "EHLO").await?;
    lines.send("STARTTLS\r\n").await?;
    lines.expect_code(220, "STARTTLS").await
}

async fn imap<S: AsyncRead + AsyncWrite + Unpin>(lines: &mut Lines<'_, S>) -> Result<(), Failure> {
    let greeting = lines.line().await?;
    let status = greeting.get(..4).unwrap_or("").to_ascii_uppercase();
    match status.as_str() {
        "* OK" | "* PR" => {}
        "* BY" => return Err(Failure::Refused(quote(&greeting))),
        _ => {
            return Err(Failure::NotProtocol(format!(
                "greeting {}",
                quote(&greeting)
            )));
        }
    }
    lines.send("a001 STARTTLS\r\n").await?;
    for _ in 0..MAX_LINES {
        let line = lines.line().await?;
        if let Some(status) = line.strip_prefix("a001 ") {
            let word = status.split_whitespace().next().unwrap_or("");
            return if word.eq_ignore_ascii_case("OK") {
                Ok(())
            } else {
                Err(Failure::Refused(quote(&line)))
            };
        }
        if !line.starts_with("* ") {
            return Err(Failure::NotProtocol(format!("reply {}", quote(&line))));
        }
    }
    Err(Failure::NotProtocol(format!(
        "no tagged reply within {MAX_LINES} lines"
    )))
}

async fn pop3<S: AsyncRead + AsyncWrite + Unpin>(lines: &mut Lines<'_, S>) -> Result<(), Failure> {
    pop3_ok(&lines.line().await?, "greeting")?;
    lines.send("STLS\r\n").await?;
    pop3_ok(&lines.line().await?, "STLS")
}

/// A POP3 status line: `+OK` is yes, `-ERR` is no, anything else is not POP3.
fn pop3_ok(line: &str, what: &str) -> Result<(), Failure> {
    if line.starts_with("+OK") {
        Ok(())
    } else if line.starts_with("-ERR") {
        Err(Failure::Refused(quote(line)))
    } else {
        Err(Failure::NotProtocol(format!("{what} {}", quote(line))))
    }
}

async fn ftp<S: AsyncRead + AsyncWrite + Unpin>(lines: &mut Lines<'_, S>) -> Result<(), Failure> {
    lines.expect_code(220, "greeting").await?;
    lines.send("AUTH TLS\r\n").await?;
    lines.expect_code(234, "AUTH TLS").await
}

/// Sends an `SSLRequest` and reads the one-byte answer: `S` yes, `N` no.
async fn postgres<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> Result<(), Failure> {
    stream.write_all(&SSL_REQUEST).await?;
    stream.flush().await?;
    let mut answer = [0u8; 1];
    stream.read_exact(&mut answer).await?;
    match answer[0] {
        b'S' => Ok(()),
        b'N' => Err(Failure::Refused(
            "it answered N (no TLS on this server)".into(),
        )),
        b'E' => Err(Failure::Refused("it answered with an error message".into())),
        other => Err(Failure::NotProtocol(format!(
            "the answer to SSLRequest is byte 0x{other:02x}, not S or N"
        ))),
    }
}

/// Reads a server's lines through a small buffer of its own, so that what came after the
/// last reply (which must be nothing) can be seen.
struct Lines<'a, S> {
    stream: &'a mut S,
    pending: Vec<u8>,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> Lines<'a, S> {
    fn new(stream: &'a mut S) -> Self {
        Self {
            stream,
            pending: Vec::new(),
        }
    }

    /// Writes `text` and flushes it.
    async fn send(&mut self, text: &str) -> Result<(), Failure> {
        self.stream.write_all(text.as_bytes()).await?;
        self.stream.flush().await?;
        Ok(())
    }

    /// The next line, without its line end (CR LF or LF); at most [`MAX_LINE`] bytes.
    async fn line(&mut self) -> Result<String, Failure> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                return Ok(String::from_utf8_lossy(line).into_owned());
            }
            if self.pending.len() > MAX_LINE {
                return Err(Failure::NotProtocol(format!(
                    "a line longer than {MAX_LINE} bytes: {}",
                    quote(&String::from_utf8_lossy(&self.pending))
                )));
            }
            let mut chunk = [0u8; 512];
            let read = self.stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(Failure::Closed);
            }
            self.pending.extend_from_slice(&chunk[..read]);
        }
    }

    /// Reads one SMTP or FTP reply (`NNN-...` lines, then `NNN ...`) and fails unless its
    /// code is `code`.
    async fn expect_code(&mut self, code: u16, what: &str) -> Result<(), Failure> {
        for _ in 0..MAX_LINES {
            let line = self.line().await?;
            let Some(found) = line.get(..3).and_then(|digits| digits.parse::<u16>().ok()) else {
                return Err(Failure::NotProtocol(format!(
                    "{what} reply {}",
                    quote(&line)
                )));
            };
            if line.as_bytes().get(3) == Some(&b'-') {
                continue;
            }
            return if found == code {
                Ok(())
            } else {
                Err(Failure::Refused(format!(
                    "{what} answered {}",
                    quote(&line)
                )))
            };
        }
        Err(Failure::NotProtocol(format!(
            "a {what} reply of more than {MAX_LINES} lines"
        )))
    }

    /// Fails if the server sent anything after agreeing: it must wait for the ClientHello.
    fn nothing_more(&self) -> Result<(), Failure> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(Failure::NotProtocol(format!(
                "{} bytes sent after agreeing to STARTTLS, before the ClientHello",
                self.pending.len()
            )))
        }
    }
}

/// A server's line, quoted for a reason: printable ASCII only, at most [`QUOTE`] characters.
fn quote(line: &str) -> String {
    let mut shown: String = line
        .chars()
        .take(QUOTE)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if line.chars().count() > QUOTE {
        shown.push_str("...");
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `protocol`'s exchange against a peer that answers `replies` in order, one per
    /// line the client sends (the first one unasked, as a greeting); returns the outcome and
    /// what the client sent.
    async fn exchange(protocol: StartTls, replies: &[&str]) -> (Result<(), String>, String) {
        let (mut client, mut server) = tokio::io::duplex(64 * 1024);
        let replies: Vec<String> = replies.iter().map(|r| (*r).to_owned()).collect();
        let peer = tokio::spawn(async move {
            let mut heard = Vec::new();
            for (index, reply) in replies.iter().enumerate() {
                if index > 0 || protocol == StartTls::Postgres {
                    let mut buf = [0u8; 256];
                    let read = server.read(&mut buf).await.unwrap();
                    heard.extend_from_slice(&buf[..read]);
                }
                server.write_all(reply.as_bytes()).await.unwrap();
            }
            server.shutdown().await.unwrap();
            // Wait for the client to finish (it drops its end).
            let mut rest = Vec::new();
            let _ = server.read_to_end(&mut rest).await;
            heard.extend_from_slice(&rest);
            String::from_utf8_lossy(&heard).into_owned()
        });
        let result = negotiate(&mut client, protocol, "[127.0.0.1]")
            .await
            .map_err(|failure| failure.reason(protocol));
        drop(client);
        (result, peer.await.unwrap())
    }

    #[tokio::test]
    async fn smtp_happy_path_sends_only_ehlo_and_starttls() {
        let replies = [
            "220-mx.test ESMTP\r\n220 ready\r\n",
            "250-mx.test\r\n250 STARTTLS\r\n",
            "220 go ahead\r\n",
        ];
        let (result, heard) = exchange(StartTls::Smtp, &replies).await;
        assert_eq!(result, Ok(()));
        assert_eq!(heard, "EHLO [127.0.0.1]\r\nSTARTTLS\r\n");
    }

    #[tokio::test]
    async fn smtp_refusal_quotes_the_server() {
        let replies = [
            "220 mx.test\r\n",
            "250 mx.test\r\n",
            "454 4.7.0 TLS not available\r\n",
        ];
        let (result, _) = exchange(StartTls::Smtp, &replies).await;
        assert_eq!(
            result,
            Err("the SMTP server refused STARTTLS: STARTTLS answered \"454 4.7.0 TLS not available\"".into())
        );
    }

    #[tokio::test]
    async fn imap_pop3_ftp_postgres() {
        let imap = [
            "* OK IMAP4rev1 ready\r\n",
            "* CAPABILITY IMAP4rev1\r\na001 OK Begin TLS\r\n",
        ];
        assert_eq!(
            exchange(StartTls::Imap, &imap).await,
            (Ok(()), "a001 STARTTLS\r\n".into())
        );
        let imap_no = ["* OK ready\r\n", "a001 BAD not now\r\n"];
        assert_eq!(
            exchange(StartTls::Imap, &imap_no).await.0,
            Err("the IMAP server refused STARTTLS: \"a001 BAD not now\"".into())
        );
        let pop3 = ["+OK POP3 ready\r\n", "+OK begin TLS\r\n"];
        assert_eq!(
            exchange(StartTls::Pop3, &pop3).await,
            (Ok(()), "STLS\r\n".into())
        );
        let ftp = ["220 FTP ready\r\n", "234 AUTH TLS OK\r\n"];
        assert_eq!(
            exchange(StartTls::Ftp, &ftp).await,
            (Ok(()), "AUTH TLS\r\n".into())
        );
        assert_eq!(exchange(StartTls::Postgres, &["S"]).await.0, Ok(()));
        assert_eq!(
            exchange(StartTls::Postgres, &["N"]).await.0,
            Err(
                "the PostgreSQL server refused STARTTLS: it answered N (no TLS on this server)"
                    .into()
            )
        );
    }

    #[tokio::test]
    async fn not_the_protocol_closed_and_too_long() {
        let http = ["HTTP/1.1 400 Bad Request\r\n\r\n"];
        assert_eq!(
            exchange(StartTls::Smtp, &http).await.0,
            Err("no SMTP STARTTLS: greeting reply \"HTTP/1.1 400 Bad Request\"".into())
        );
        assert_eq!(
            exchange(StartTls::Pop3, &[]).await.0,
            Err("the server closed the connection during the POP3 STARTTLS exchange".into())
        );
        let long = "2".repeat(5000);
        let result = exchange(StartTls::Ftp, &[&long]).await.0.unwrap_err();
        assert!(
            result.starts_with("no FTP STARTTLS: a line longer than 1024 bytes"),
            "{result}"
        );
        let early = ["+OK\r\n", "+OK\r\n\x16\x03\x01"];
        assert_eq!(
            exchange(StartTls::Pop3, &early).await.0,
            Err(
                "no POP3 STARTTLS: 3 bytes sent after agreeing to STARTTLS, before the ClientHello"
                    .into()
            )
        );
    }

    #[test]
    fn names_read_back() {
        for protocol in StartTls::ALL {
            assert_eq!(
                protocol.to_string().to_uppercase().parse::<StartTls>(),
                Ok(protocol)
            );
        }
    }
}
