//! How an order's JSON is stored: one zstd frame, compressed with a dictionary trained on the
//! account's own first orders and kept in the inventory (`json_dictionaries`), so that a
//! report row of about 2.1 KiB takes about 460 bytes (BENCHMARKS.md).
//!
//! A frame names its dictionary by id (zstd's own frame header field), so a stored value is
//! read back with the inventory's dictionaries alone; a frame without one needs none. Both
//! stores keep the same bytes (SQLite's BLOB, PostgreSQL's `bytea`). The fingerprint
//! (`record.rs`) is of the JSON text, whatever its stored form, so compressing changes no
//! fingerprint.

use std::collections::HashMap;
use std::sync::Mutex;

use zstd::zstd_safe::{self, CCtx, CDict, DCtx, DDict};

/// zstd's compression level: level 1 with a dictionary compresses report rows within 4% of
/// level 3, a third faster (BENCHMARKS.md).
const LEVEL: i32 = 1;

/// The most bytes a dictionary takes: larger ones measured no smaller rows.
const DICTIONARY_SIZE: usize = 16 * 1024;

/// At most this many orders of a batch train its account's dictionary.
pub(crate) const TRAINING_ORDERS: usize = 300;

/// A batch of fewer orders trains no dictionary (its JSON is compressed without one): too few
/// samples make a poor one, and an incremental sync's few orders are no sample of an account.
pub(crate) const MIN_TRAINING_ORDERS: usize = 200;

/// The first dictionary id: zstd leaves ids below 32,768 to registered dictionaries.
pub(crate) const FIRST_DICTIONARY_ID: i64 = 32_768;

/// A batch of at least this many orders is packed on a thread of its own while the store
/// writes ([`pack_aside`]).
const PACK_ASIDE: usize = 256;

/// The longest JSON a stored value may give back, so that a damaged frame cannot make a
/// reader allocate without bound.
const MAX_JSON: u64 = 64 << 20;

/// A stored value that cannot be read back, or JSON that cannot be stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CodecError {
    /// zstd failed.
    #[error("zstd: {0}")]
    Zstd(&'static str),
    /// A frame names a dictionary the inventory does not hold.
    #[error("stored JSON needs dictionary {0}, which the inventory does not hold")]
    MissingDictionary(u32),
    /// A frame that does not say how long its JSON is, or says more than any order takes.
    #[error("stored JSON is not a whole zstd frame of at most 64 MiB")]
    Frame,
    /// What a frame holds is not UTF-8 text.
    #[error("stored JSON is not UTF-8")]
    NotText,
}

fn zstd_error(code: usize) -> CodecError {
    CodecError::Zstd(zstd_safe::get_error_name(code))
}

/// One stored dictionary: its id (also written into its bytes) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dictionary {
    /// The id frames name it by.
    pub(crate) id: i64,
    /// The dictionary, as zstd reads it.
    pub(crate) bytes: Vec<u8>,
}

/// Trains a dictionary on the JSON texts `samples` (at most [`TRAINING_ORDERS`] of them are
/// taken), with id `id` written into it; `None` for fewer than [`MIN_TRAINING_ORDERS`]
/// samples or when zstd finds nothing to learn.
pub(crate) fn train(id: i64, samples: &[&[u8]]) -> Option<Dictionary> {
    let samples = &samples[..samples.len().min(TRAINING_ORDERS)];
    if samples.len() < MIN_TRAINING_ORDERS {
        return None;
    }
    let mut bytes = zstd::dict::from_samples(samples, DICTIONARY_SIZE).ok()?;
    // A trained dictionary starts with zstd's magic number and a random id: the id becomes
    // the inventory's own, so that no two dictionaries of one inventory share one.
    let id_bytes = u32::try_from(id).ok()?.to_le_bytes();
    bytes.get_mut(4..8)?.copy_from_slice(&id_bytes);
    (zstd_safe::get_dict_id_from_dict(&bytes).map(u32::from) == u32::try_from(id).ok())
        .then_some(Dictionary { id, bytes })
}

/// Compresses JSON for storage, with one account's dictionary or none; kept by a store's
/// handle from batch to batch, so that the dictionary is prepared once.
pub(crate) struct Packer {
    context: CCtx<'static>,
    /// The dictionary in use and its prepared form.
    dictionary: Option<(Dictionary, CDict<'static>)>,
}

impl std::fmt::Debug for Packer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self
            .dictionary
            .as_ref()
            .map(|(dictionary, _)| dictionary.id);
        f.debug_struct("Packer").field("dictionary", &id).finish()
    }
}

impl Packer {
    /// A packer without a dictionary.
    pub(crate) fn new() -> Self {
        Self {
            context: CCtx::create(),
            dictionary: None,
        }
    }

    /// Packs with `dictionary` from now on (none: without one); prepares it unless it is the
    /// one already in use.
    pub(crate) fn use_dictionary(
        &mut self,
        dictionary: Option<Dictionary>,
    ) -> Result<(), CodecError> {
        let Some(dictionary) = dictionary else {
            self.dictionary = None;
            return Ok(());
        };
        if self
            .dictionary
            .as_ref()
            .is_some_and(|(used, _)| *used == dictionary)
        {
            return Ok(());
        }
        let prepared = CDict::try_create(&dictionary.bytes, LEVEL)
            .ok_or(CodecError::Zstd("the dictionary cannot be loaded"))?;
        self.dictionary = Some((dictionary, prepared));
        Ok(())
    }

    /// `json` as stored: one zstd frame.
    pub(crate) fn pack(&mut self, json: &str) -> Result<Vec<u8>, CodecError> {
        let mut frame = Vec::with_capacity(zstd_safe::compress_bound(json.len()));
        match &self.dictionary {
            Some((_, prepared)) => {
                self.context
                    .compress_using_cdict(&mut frame, json.as_bytes(), prepared)
            }
            None => self.context.compress(&mut frame, json.as_bytes(), LEVEL),
        }
        .map_err(zstd_error)?;
        Ok(frame)
    }
}

/// The frames [`pack_aside`] hands its writer, one per text, in order.
pub(crate) type Frames<'f> = dyn Iterator<Item = Result<Vec<u8>, CodecError>> + 'f;

/// The next of `frames`; [`pack_aside`] gives one for each text, so a missing one is an error.
pub(crate) fn next_frame(frames: &mut Frames<'_>) -> Result<Vec<u8>, CodecError> {
    frames
        .next()
        .unwrap_or(Err(CodecError::Zstd("a frame is missing")))
}

/// Frames the packing thread hands over at a time: one hand-over per frame cost a wake-up
/// each when the writer waited for them.
const PACKED_TOGETHER: usize = 64;

/// Hand-overs waiting between the packing thread and its writer at most.
const PACKED_AHEAD: usize = 16;

/// Packs `texts` with `packer` for `write`, which takes the frames in the order of `texts`:
/// for a batch of [`PACK_ASIDE`] orders or more they are made on a thread of its own while
/// `write` runs (a first sync's writer is its critical path, and packing is a quarter of its
/// work: BENCHMARKS.md), so that the writer only waits for a frame it reaches before it is
/// made; for a smaller batch, here, as `write` takes them.
pub(crate) fn pack_aside<'a, T>(
    packer: &mut Packer,
    texts: impl ExactSizeIterator<Item = &'a str> + Send,
    write: impl FnOnce(&mut Frames<'_>) -> T,
) -> T {
    if texts.len() < PACK_ASIDE {
        return write(&mut texts.map(|text| packer.pack(text)));
    }
    let expected = texts.len();
    std::thread::scope(|scope| {
        let (frames, packed) = std::sync::mpsc::sync_channel::<Vec<_>>(PACKED_AHEAD);
        let packing = std::thread::Builder::new()
            .name("inventory-pack".to_owned())
            .spawn_scoped(scope, move || {
                let mut texts = texts.peekable();
                while texts.peek().is_some() {
                    let some = texts.by_ref().take(PACKED_TOGETHER);
                    // The writer stopped taking frames (it failed): nothing more to pack.
                    if frames
                        .send(some.map(|text| packer.pack(text)).collect())
                        .is_err()
                    {
                        break;
                    }
                }
            });
        if packing.is_err() {
            let failed = CodecError::Zstd("no thread could be started to compress");
            return write(&mut std::iter::once(Err(failed)));
        }
        // A frame per text; fewer only if the thread ended unexpectedly, which is an error.
        let mut packed = packed.into_iter().flatten();
        let mut received = 0;
        let mut taken = std::iter::from_fn(move || match packed.next() {
            Some(frame) => {
                received += 1;
                Some(frame)
            }
            None => (received < expected).then(|| {
                received = expected;
                Err(CodecError::Zstd("the packing thread ended unexpectedly"))
            }),
        });
        // The receiver goes with `taken` when `write` returns, so a thread still packing for
        // a writer that stopped early ends instead of waiting on a full channel.
        write(&mut taken)
    })
}

/// Reads stored JSON back, with every dictionary of the inventory; shared by the rows of a
/// query, on whichever thread maps them.
pub(crate) struct Unpacker {
    dictionaries: HashMap<u32, DDict<'static>>,
    /// Made at the first frame: most queries read none.
    context: Mutex<Option<DCtx<'static>>>,
}

impl std::fmt::Debug for Unpacker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&u32> = self.dictionaries.keys().collect();
        ids.sort_unstable();
        f.debug_struct("Unpacker")
            .field("dictionaries", &ids)
            .finish()
    }
}

impl Unpacker {
    /// An unpacker for rows without stored JSON, or whose frames need no dictionary.
    pub(crate) fn without_dictionaries() -> Self {
        Self {
            dictionaries: HashMap::new(),
            context: Mutex::new(None),
        }
    }

    /// An unpacker with these dictionaries.
    pub(crate) fn new(dictionaries: &[Dictionary]) -> Result<Self, CodecError> {
        let mut prepared = HashMap::with_capacity(dictionaries.len());
        for dictionary in dictionaries {
            let id = u32::try_from(dictionary.id)
                .map_err(|_| CodecError::Zstd("a dictionary id out of range"))?;
            let ddict = DDict::try_create(&dictionary.bytes)
                .ok_or(CodecError::Zstd("a dictionary cannot be loaded"))?;
            prepared.insert(id, ddict);
        }
        Ok(Self {
            dictionaries: prepared,
            context: Mutex::new(None),
        })
    }

    /// The JSON a stored frame holds.
    pub(crate) fn unpack(&self, frame: &[u8]) -> Result<String, CodecError> {
        let length = zstd_safe::get_frame_content_size(frame)
            .ok()
            .flatten()
            .filter(|length| *length <= MAX_JSON)
            .ok_or(CodecError::Frame)?;
        let mut json = Vec::with_capacity(usize::try_from(length).map_err(|_| CodecError::Frame)?);
        // A poisoned lock only means another row's decoding panicked; the context is reset
        // by every frame.
        let mut context = self
            .context
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let context = context.get_or_insert_with(DCtx::create);
        match zstd_safe::get_dict_id_from_frame(frame) {
            Some(id) => {
                let id = u32::from(id);
                let dictionary = self
                    .dictionaries
                    .get(&id)
                    .ok_or(CodecError::MissingDictionary(id))?;
                context.decompress_using_ddict(&mut json, frame, dictionary)
            }
            None => context.decompress(&mut json, frame),
        }
        .map_err(zstd_error)?;
        if json.len() as u64 != length {
            return Err(CodecError::Frame);
        }
        String::from_utf8(json).map_err(|_| CodecError::NotText)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Report-like rows that share their keys and some values.
    fn rows(count: usize) -> Vec<String> {
        (0..count)
            .map(|n| {
                format!(
                    r#"{{"order_id":{n},"status":"{}","common_name":"host{n}.example.com","organization_name":"Example Widgets Inc.","valid_till":"2027-{:02}-{:02}","thumbprint":"{:040X}","product_name_id":"ssl_plus","dns_names":["host{n}.example.com","www.host{n}.example.com"]}}"#,
                    ["issued", "pending", "revoked"][n % 3],
                    n % 12 + 1,
                    n % 28 + 1,
                    (n as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834)
                )
            })
            .collect()
    }

    #[test]
    fn json_comes_back_as_it_went_in_with_and_without_a_dictionary() {
        let rows = rows(500);
        let samples: Vec<&[u8]> = rows.iter().map(|r| r.as_bytes()).collect();
        let dictionary = train(FIRST_DICTIONARY_ID, &samples).unwrap();
        assert_eq!(dictionary.id, FIRST_DICTIONARY_ID);
        let unpacker = Unpacker::new(std::slice::from_ref(&dictionary)).unwrap();
        let mut plain = Packer::new();
        let mut trained = Packer::new();
        trained.use_dictionary(Some(dictionary.clone())).unwrap();
        let (mut plain_bytes, mut trained_bytes) = (0, 0);
        for row in rows.iter().chain([&"{}".to_owned(), &"[\"é\"]".to_owned()]) {
            let without = plain.pack(row).unwrap();
            let with = trained.pack(row).unwrap();
            assert_eq!(unpacker.unpack(&without).unwrap(), *row);
            assert_eq!(unpacker.unpack(&with).unwrap(), *row);
            assert_eq!(
                zstd_safe::get_dict_id_from_frame(&with).map(u32::from),
                Some(32_768)
            );
            plain_bytes += without.len();
            trained_bytes += with.len();
        }
        assert!(
            trained_bytes < plain_bytes,
            "{trained_bytes} >= {plain_bytes}"
        );
    }

    #[test]
    fn a_frame_of_a_dictionary_not_held_or_a_damaged_one_is_an_error() {
        let rows = rows(300);
        let samples: Vec<&[u8]> = rows.iter().map(|r| r.as_bytes()).collect();
        let dictionary = train(40_000, &samples).unwrap();
        let mut packer = Packer::new();
        packer.use_dictionary(Some(dictionary)).unwrap();
        let frame = packer.pack(&rows[0]).unwrap();
        let without = Unpacker::new(&[]).unwrap();
        assert!(matches!(
            without.unpack(&frame),
            Err(CodecError::MissingDictionary(40_000))
        ));
        assert!(matches!(without.unpack(b"{}"), Err(CodecError::Frame)));
        let mut cut = Packer::new().pack(&rows[1]).unwrap();
        cut.truncate(cut.len() - 2);
        assert!(without.unpack(&cut).is_err());
    }

    #[test]
    fn too_few_orders_train_no_dictionary() {
        let rows = rows(MIN_TRAINING_ORDERS - 1);
        let samples: Vec<&[u8]> = rows.iter().map(|r| r.as_bytes()).collect();
        assert_eq!(train(FIRST_DICTIONARY_ID, &samples), None);
    }

    #[test]
    fn packed_aside_the_frames_come_in_order_and_a_writer_may_stop_early() {
        let rows = rows(PACK_ASIDE + PACKED_AHEAD * PACKED_TOGETHER + 100);
        let samples: Vec<&[u8]> = rows.iter().map(|r| r.as_bytes()).collect();
        let mut packer = Packer::new();
        packer
            .use_dictionary(train(FIRST_DICTIONARY_ID, &samples))
            .unwrap();
        let dictionary = packer.dictionary.as_ref().unwrap().0.clone();
        let unpacker = Unpacker::new(&[dictionary]).unwrap();
        for count in [PACK_ASIDE - 1, rows.len()] {
            let texts = rows[..count].iter().map(String::as_str);
            let back: Vec<String> = pack_aside(&mut packer, texts, |frames| {
                frames
                    .map(|frame| unpacker.unpack(&frame.unwrap()).unwrap())
                    .collect()
            });
            assert_eq!(back, rows[..count], "{count} rows");
        }
        // More frames than the channel holds, and a writer that takes three: the packing
        // thread must stop rather than wait for the writer forever.
        let texts = rows.iter().map(String::as_str);
        let taken = pack_aside(&mut packer, texts, |frames| frames.take(3).count());
        assert_eq!(taken, 3);
    }
}
