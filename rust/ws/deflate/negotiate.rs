//! Negotiating permessage-deflate (RFC 7692 §5, §7.1): the client's offer, the server's answer,
//! and the client's check of that answer.
//!
//! The server takes the first offer it can meet and declines the others by not answering them:
//! an offer with an unknown parameter, a repeated one, a value that is not allowed, or a
//! `server_max_window_bits=8` (zlib cannot compress with a 256-byte window) is declined, and the
//! handshake goes on without compression. The client fails the handshake on an answer the RFC
//! forbids (§7: unknown or repeated parameters, bad values, an extension it did not offer, a
//! window over what it asked for); an answer asking it to compress with a window of 8 is met by
//! sending uncompressed, which the RFC always allows.

use std::fmt::{self, Write};

use crate::ws::deflate::extensions::Extension;

/// The extension's registered name.
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

/// The largest window, assumed when a parameter is absent.
pub const MAX_WINDOW_BITS: u8 = 15;

/// What one side asks for. Windows are 9 to 15 (base-2 logarithms of bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateConfig {
    /// The largest window the server may compress with.
    pub server_max_window_bits: u8,
    /// The largest window the client may compress with.
    pub client_max_window_bits: u8,
    /// The server starts every message from an empty window.
    pub server_no_context_takeover: bool,
    /// The client starts every message from an empty window.
    pub client_no_context_takeover: bool,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
        }
    }
}

/// What both sides agreed: the window and context takeover of each direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateAgreement {
    /// The largest window the server compresses with (8 to 15).
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with (8 to 15).
    pub client_max_window_bits: u8,
    /// The server resets its window after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its window after every message.
    pub client_no_context_takeover: bool,
}

impl DeflateAgreement {
    /// The window and reset rule of the messages `client` (or the server) sends.
    pub const fn sender(&self, client: bool) -> (u8, bool) {
        if client {
            (self.client_max_window_bits, self.client_no_context_takeover)
        } else {
            (self.server_max_window_bits, self.server_no_context_takeover)
        }
    }
}

/// The server's answer breaks RFC 7692 §7 or asks what the client did not offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiationError {
    /// What is wrong with the answer.
    pub message: String,
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NegotiationError {}

fn refuse(message: impl Into<String>) -> NegotiationError {
    NegotiationError {
        message: message.into(),
    }
}

/// The four parameters as one element states them.
#[derive(Debug, Default, Clone, Copy)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: ClientWindow,
}

/// `client_max_window_bits` in one element.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ClientWindow {
    #[default]
    Absent,
    /// Present without a value: allowed in an offer only (the client can be limited).
    Unlimited,
    Bits(u8),
}

/// A window value: `8` to `15` in decimal with no sign or leading zero (§7.1.2.1).
fn window_value(value: &str) -> Option<u8> {
    match value.as_bytes() {
        [digit @ b'8'..=b'9'] => Some(digit - b'0'),
        [b'1', digit @ b'0'..=b'5'] => Some(10 + digit - b'0'),
        _ => None,
    }
}

impl Params {
    /// The parameters of one element; `offer` allows `client_max_window_bits` without a value.
    fn read(extension: &Extension<'_>, offer: bool) -> Result<Self, String> {
        let mut params = Self::default();
        let mut seen = [false; 4];
        for (name, value) in &extension.params {
            let value = value.as_deref();
            let slot = match *name {
                "server_no_context_takeover" => 0,
                "client_no_context_takeover" => 1,
                "server_max_window_bits" => 2,
                "client_max_window_bits" => 3,
                _ => return Err(format!("unknown parameter {name}")),
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(format!("repeated parameter {name}"));
            }
            let bad = || format!("invalid value for {name}");
            match (slot, value) {
                (0, None) => params.server_no_context_takeover = true,
                (1, None) => params.client_no_context_takeover = true,
                (2, Some(value)) => {
                    params.server_max_window_bits = Some(window_value(value).ok_or_else(bad)?);
                }
                (3, None) if offer => params.client_max_window_bits = ClientWindow::Unlimited,
                (3, Some(value)) => {
                    let bits = window_value(value).ok_or_else(bad)?;
                    params.client_max_window_bits = ClientWindow::Bits(bits);
                }
                _ => return Err(bad()),
            }
        }
        Ok(params)
    }

    /// The element as a header value: `permessage-deflate` and the parameters present.
    fn write(self) -> String {
        let mut out = String::from(PERMESSAGE_DEFLATE);
        if self.server_no_context_takeover {
            out.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            out.push_str("; client_no_context_takeover");
        }
        if let Some(bits) = self.server_max_window_bits {
            let _ = write!(out, "; server_max_window_bits={bits}");
        }
        match self.client_max_window_bits {
            ClientWindow::Bits(bits) => {
                let _ = write!(out, "; client_max_window_bits={bits}");
            }
            ClientWindow::Unlimited => out.push_str("; client_max_window_bits"),
            ClientWindow::Absent => {}
        }
        out
    }
}

/// The server's side: the agreement and the answer to send for the first offer it can meet, or
/// None when it declines them all.
pub fn negotiate(
    offers: &[Extension<'_>],
    config: DeflateConfig,
) -> Option<(DeflateAgreement, String)> {
    offers
        .iter()
        .filter(|offer| offer.name == PERMESSAGE_DEFLATE)
        .find_map(|offer| answer(Params::read(offer, true).ok()?, config))
}

/// The answer to one well-formed offer, or None when it cannot be met.
fn answer(offer: Params, config: DeflateConfig) -> Option<(DeflateAgreement, String)> {
    // §7.1.2.1: the answer's server window is at most the offered one, and may be stated even
    // when none was offered. zlib cannot compress within 8 bits.
    let server_bits = match offer.server_max_window_bits {
        Some(8) => return None,
        Some(offered) => offered.min(config.server_max_window_bits),
        None => config.server_max_window_bits,
    };
    // §7.1.2.2: the client's window may be limited only when the offer has the parameter, to at
    // most its value.
    let client_bits = match offer.client_max_window_bits {
        ClientWindow::Bits(offered) => offered.min(config.client_max_window_bits),
        ClientWindow::Unlimited => config.client_max_window_bits,
        ClientWindow::Absent => MAX_WINDOW_BITS,
    };
    let agreement = DeflateAgreement {
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
        // §7.1.1.1 and §7.1.1.2: either side's reset may be added by the server, and an offered
        // one is accepted by echoing it.
        server_no_context_takeover: offer.server_no_context_takeover
            || config.server_no_context_takeover,
        client_no_context_takeover: offer.client_no_context_takeover
            || config.client_no_context_takeover,
    };
    let response = Params {
        server_no_context_takeover: agreement.server_no_context_takeover,
        client_no_context_takeover: agreement.client_no_context_takeover,
        server_max_window_bits: (offer.server_max_window_bits.is_some()
            || server_bits < MAX_WINDOW_BITS)
            .then_some(server_bits),
        client_max_window_bits: if client_bits < MAX_WINDOW_BITS {
            ClientWindow::Bits(client_bits)
        } else {
            ClientWindow::Absent
        },
    };
    Some((agreement, response.write()))
}

/// The client's offer: its own window (as a value when under 15, so that an answer without the
/// parameter still keeps it), the server's window when limited, and the resets asked for.
pub fn client_offer(config: DeflateConfig) -> String {
    let client_bits = config.client_max_window_bits;
    Params {
        server_no_context_takeover: config.server_no_context_takeover,
        client_no_context_takeover: config.client_no_context_takeover,
        server_max_window_bits: (config.server_max_window_bits < MAX_WINDOW_BITS)
            .then_some(config.server_max_window_bits),
        client_max_window_bits: if client_bits < MAX_WINDOW_BITS {
            ClientWindow::Bits(client_bits)
        } else {
            ClientWindow::Unlimited
        },
    }
    .write()
}

/// The client's side: the agreement the server's answer states for our `client_offer(config)`,
/// or None when it answered no extension.
///
/// # Errors
/// A [`NegotiationError`] saying what the answer got wrong; the client then fails the handshake.
pub fn accept_answer(
    answer: &[Extension<'_>],
    config: DeflateConfig,
) -> Result<Option<DeflateAgreement>, NegotiationError> {
    let mut agreed = None;
    for extension in answer {
        if extension.name != PERMESSAGE_DEFLATE {
            return Err(refuse(format!(
                "the server accepted an extension we did not offer: {}",
                extension.name
            )));
        }
        if agreed.is_some() {
            return Err(refuse("the server accepted permessage-deflate twice"));
        }
        let params = Params::read(extension, false)
            .map_err(|err| refuse(format!("permessage-deflate answer: {err}")))?;
        agreed = Some(check_answer(params, config)?);
    }
    Ok(agreed)
}

fn check_answer(
    answer: Params,
    config: DeflateConfig,
) -> Result<DeflateAgreement, NegotiationError> {
    if config.server_no_context_takeover && !answer.server_no_context_takeover {
        return Err(refuse(
            "permessage-deflate answer lacks the server_no_context_takeover we asked for",
        ));
    }
    let asked_server = config.server_max_window_bits;
    let server_bits = match answer.server_max_window_bits {
        Some(bits) if bits <= asked_server => bits,
        Some(_) => {
            return Err(refuse(
                "permessage-deflate answer: server_max_window_bits over the one we asked for",
            ))
        }
        None if asked_server < MAX_WINDOW_BITS => {
            return Err(refuse(
                "permessage-deflate answer lacks the server_max_window_bits we asked for",
            ))
        }
        None => MAX_WINDOW_BITS,
    };
    let client_bits = match answer.client_max_window_bits {
        ClientWindow::Bits(bits) if bits <= config.client_max_window_bits => bits,
        ClientWindow::Bits(_) | ClientWindow::Unlimited => {
            return Err(refuse(
                "permessage-deflate answer: client_max_window_bits over the one we offered",
            ))
        }
        ClientWindow::Absent => config.client_max_window_bits,
    };
    Ok(DeflateAgreement {
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
        server_no_context_takeover: answer.server_no_context_takeover,
        client_no_context_takeover: answer.client_no_context_takeover
            || config.client_no_context_takeover,
    })
}

#[cfg(test)]
#[path = "negotiate_tests.rs"]
mod tests;
