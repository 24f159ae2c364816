//! The use-cases both front ends run: open a model, quantize it, compare it, export it, bench
//! it. No UI here: the `pocket` subcommands and the studio's worker are thin adapters that
//! parse arguments or route events, call these functions and print or show the typed results.
//! Long tasks take a [`Progress`] callback and an `AtomicBool` cancel token. Defaults live in
//! [`defaults`], once.

pub mod agreement;
pub mod bench;
pub mod compare;
pub mod defaults;
pub mod export;
pub mod open;
pub mod quantize;

/// Progress of a long task: `(done, total)`.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// A [`Progress`] that reports nowhere.
pub fn no_progress(_: usize, _: usize) {}
