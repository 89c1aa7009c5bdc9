//! Loading a service's settings: a TOML file (optional) under `HONEYDESK_*` environment
//! variables under command-line flags. Each service declares its own settings struct;
//! this module reads the file with errors that name the offending key, and holds the
//! settings every server has.

mod args;
mod server;

use std::path::Path;

pub use args::ServerArgs;
use serde::{Deserialize, de::DeserializeOwned};
pub use server::{DEV_JWT_SECRET, ServerSettings};

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// A key has a bad value or is unknown.
    #[error("config file {path}: key `{key}`: {message}")]
    Key {
        /// The file.
        path: String,
        /// Dotted path of the key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value is out of range after all layers were applied.
    #[error("setting `{key}`: {message}")]
    Invalid {
        /// Dotted path of the key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Reads `path` as TOML into `T`; `T::default()` when `path` is `None`.
pub fn load_file<T: DeserializeOwned + Default>(path: Option<&Path>) -> Result<T, ConfigError> {
    let Some(path) = path else {
        return Ok(T::default());
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown)
}

/// Parses TOML `text` (from `origin`, for messages) into `T`.
pub fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: origin.to_owned(),
        message: e.message().to_owned(),
    })?;
    serde_path_to_error::deserialize(table).map_err(|e| ConfigError::Key {
        path: origin.to_owned(),
        key: e.path().to_string(),
        message: e.into_inner().message().to_owned(),
    })
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// An [`ConfigError::Invalid`] for `key`.
pub fn invalid(key: &str, message: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.to_owned(),
    }
}
