// SPDX-License-Identifier: MIT
//! Rust panics through profiled frames, for the integration tests.
//! usage: rust_target caught|inside|escape
//!   caught: 3 of 6 calls of `panicky` panic, caught by catch_unwind in main
//!   inside: `guarded` panics and catches it itself, 3 times
//!   escape: a panic leaves `panicky` and main: the process exits 101
use std::panic;

#[no_mangle]
#[inline(never)]
pub extern "Rust" fn panicky(fail: bool) -> u64 {
    let v = vec![1u64, 2, 3];
    if fail {
        panic!("panicky failed");
    }
    v.iter().sum()
}

#[no_mangle]
#[inline(never)]
pub extern "Rust" fn guarded(n: u64) -> u64 {
    match panic::catch_unwind(|| panicky(true)) {
        Ok(v) => v,
        Err(_) => n,
    }
}

fn main() {
    panic::set_hook(Box::new(|_| {})); // keep stderr identical and quiet
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "caught" => {
            let mut caught = 0;
            for i in 0..6 {
                if panic::catch_unwind(|| panicky(i % 2 == 1)).is_err() {
                    caught += 1;
                }
            }
            println!("caught {}", caught);
        }
        "inside" => {
            let sum: u64 = (0..3).map(guarded).sum();
            println!("guarded {}", sum);
        }
        "escape" => {
            println!("escaping");
            panicky(true);
        }
        _ => std::process::exit(2),
    }
}
