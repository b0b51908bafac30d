//! Kernel → Interrupt as a request to stop (see [`stop_requested`]).
//!
//! The project's kernel answers an interrupt request by sending SIGINT to the process that
//! runs the notebook's code. Inside that kernel the crate counts the signal
//! ([`crate::kernel`]); [`train`] then ends its epoch at the next batch and the notebook
//! loop's [`stop_requested`] returns true, so the cell finishes normally and every variable
//! survives. When it stops, the crate tells the kernel so, which then does not end the
//! process; a cell that does not stop within the kernel's grace period (3 s) is ended as stock
//! evcxr does, losing the variables, and so is a cell interrupted a second time.
//!
//! An interrupt holds for the rest of its cell: a later `train` in the same cell (the next
//! network of a comparison) stops after its first batch, and `stop_requested` stays true.
//! Measurements (`evaluate`, `numerical_gradient`) stop only for an interrupt that arrives
//! while they run, so the final numbers after an interrupted loop cover the whole set; figures
//! and printing still run. evcxr links a fresh copy of this crate into every cell, each with
//! its own counter, and a copy catches the signal from the first time the cell places a
//! tensor, trains or asks for a stop; so the interrupt reaches the cell that is running, and
//! the next cell starts with none.
//!
//! [`stop_requested`]: crate::stop_requested
//! [`train`]: crate::train

use crate::kernel::{sigints, INTERRUPT_HANDLED};
use std::sync::atomic::{AtomicU32, Ordering};

/// Interrupts for which `INTERRUPT_HANDLED` was printed.
static ACKNOWLEDGED: AtomicU32 = AtomicU32::new(0);

/// True once an interrupt has arrived while this cell runs (it stays true to the cell's end,
/// so that every later training in the cell stops too).
pub(crate) fn interrupted() -> bool {
    count() > 0
}

/// The number of interrupts this cell has had so far (see [`arrived_since`]). The first call
/// in a cell makes its copy of the crate the one that catches them.
pub(crate) fn count() -> u32 {
    sigints()
}

/// True when an interrupt arrived after [`count`] returned `before`.
pub(crate) fn arrived_since(before: u32) -> bool {
    count() > before
}

/// Tells the kernel, once per interrupt, that the code stops by itself.
pub(crate) fn acknowledge() {
    let received = count();
    if ACKNOWLEDGED.swap(received, Ordering::SeqCst) < received {
        println!("{INTERRUPT_HANDLED}");
    }
}
