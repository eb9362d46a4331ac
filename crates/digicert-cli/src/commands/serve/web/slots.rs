//! How many connections `serve` holds at once: at most [`MAX_CONNECTIONS`] in all and at most
//! [`MAX_PER_CLIENT`] from one client, so that one client opening connections as fast as it
//! can (or leaving them idle) fills its own share and not the others'. A client is its IPv4
//! address, or its IPv6 /64 (one host commonly holds a whole /64).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Connections served at once, from every client.
pub const MAX_CONNECTIONS: usize = 1024;
/// Connections served at once from one client: above the 200 concurrent clients of the load
/// bench (all from 127.0.0.1), a quarter of [`MAX_CONNECTIONS`].
pub const MAX_PER_CLIENT: usize = 256;

/// The connections open, by client.
#[derive(Debug, Default)]
pub struct Slots {
    open: Mutex<Open>,
}

/// The counts behind [`Slots`].
#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

impl Slots {
    /// A slot for one more connection from `peer`, or `None` when all or its share are taken.
    pub fn take(self: &Arc<Self>, peer: IpAddr) -> Option<Slot> {
        let client = client(peer);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.total >= MAX_CONNECTIONS {
            return None;
        }
        let held = open.by_client.entry(client).or_insert(0);
        if *held >= MAX_PER_CLIENT {
            return None;
        }
        *held += 1;
        open.total += 1;
        Some(Slot {
            slots: Arc::clone(self),
            client,
        })
    }
}

/// One connection's place, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    client: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(held) = open.by_client.get_mut(&self.client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                open.by_client.remove(&self.client);
            }
        }
    }
}

/// The client an address counts for: an IPv4 address (also when mapped into IPv6), or an
/// IPv6 address's first 64 bits.
fn client(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(_) => peer,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_fills_its_share_and_not_the_others() {
        let slots = Arc::new(Slots::default());
        let flooding: IpAddr = [127, 0, 0, 1].into();
        let held: Vec<Slot> = (0..MAX_PER_CLIENT)
            .map(|_| slots.take(flooding).unwrap())
            .collect();
        assert!(slots.take(flooding).is_none());
        let other = slots.take([127, 0, 0, 2].into());
        assert!(other.is_some());
        drop(held);
        assert!(slots.take(flooding).is_some());
    }

    #[test]
    fn the_total_holds_whoever_asks() {
        let slots = Arc::new(Slots::default());
        let held: Vec<Slot> = (0..MAX_CONNECTIONS)
            .map(|n| {
                let client = IpAddr::from([10, 0, (n / MAX_PER_CLIENT) as u8, 1]);
                slots.take(client).unwrap()
            })
            .collect();
        assert!(slots.take([10, 9, 9, 9].into()).is_none());
        drop(held);
        assert!(slots.take([10, 9, 9, 9].into()).is_some());
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        let c: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(client(a), client(b));
        assert_ne!(client(a), client(c));
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(client(mapped), IpAddr::from([127, 0, 0, 1]));
    }
}
