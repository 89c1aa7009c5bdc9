//! Compiles `honeydesk/**/*.proto` with protox (no system `protoc`) and writes the
//! encoded file descriptor set to `OUT_DIR` for server reflection, and the id checks of
//! every message (`build_ids.rs`).

#[path = "build_ids.rs"]
mod ids;

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &[
    "honeydesk/bot/v1/conversation.proto",
    "honeydesk/bot/v1/intents.proto",
    "honeydesk/bot/v1/action.proto",
    "honeydesk/agent/v1/types.proto",
    "honeydesk/agent/v1/tickets.proto",
    "honeydesk/agent/v1/desk.proto",
    "honeydesk/agent/v1/supervisor.proto",
    "honeydesk/agent/v1/complaints.proto",
    "honeydesk/agent/v1/feedback.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=honeydesk");
    let fds = protox::compile(PROTOS, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("honeydesk_descriptor.bin"),
        fds.encode_to_vec(),
    )?;
    fs::write(out_dir.join("honeydesk_ids.rs"), ids::generate(&fds))?;
    tonic_prost_build::configure()
        .codec_path("crate::checked::CheckedCodec")
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
