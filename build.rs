//! Links the `runbook` binary at a fixed address on Linux. A position-independent executable
//! has the dynamic loader patch tens of thousands of pointers, and copy the pages that hold
//! them, at every start; a command that takes a few milliseconds notices.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bin=runbook=-no-pie");
    }
}
