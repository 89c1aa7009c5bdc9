//! The operator-edited intent catalogue: which fixed questions the robot knows, how
//! customers ask them, what it answers, and which agent skill takes over when a person is
//! needed. Loaded from TOML (see `catalogue/default.toml`) and validated in one pass.

mod file;
mod model;
mod problem;
mod task;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

pub use model::{
    Bilingual, Catalogue, EntranceSettings, FallbackTexts, HOTLINE_PLACEHOLDER, Intent, render,
};
pub use problem::{Issue, Problem, Scope};
pub use task::{City, SlotSpec, SlotType, TaskSpec};

/// The catalogue that ships with bot-service, for tools and tests that need a real one.
/// A binary run away from its build directory does not find this file and uses
/// [`SHIPPED_CATALOGUE`], compiled in, instead.
pub const DEFAULT_CATALOGUE_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/catalogue/default.toml");

/// The shipped catalogue's text, compiled into the binary.
pub const SHIPPED_CATALOGUE: &str = include_str!("../../catalogue/default.toml");

/// The bytes of the catalogue at `path`; the compiled-in copy when `path` is the shipped
/// catalogue's build-directory path and that file is not there (a copied binary).
pub fn read_catalogue(path: &Path) -> Result<std::borrow::Cow<'static, [u8]>, CatalogueError> {
    read_or_shipped(path, Path::new(DEFAULT_CATALOGUE_PATH))
}

fn read_or_shipped(
    path: &Path,
    shipped: &Path,
) -> Result<std::borrow::Cow<'static, [u8]>, CatalogueError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes.into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && path == shipped => {
            Ok(SHIPPED_CATALOGUE.as_bytes().into())
        }
        Err(source) => Err(CatalogueError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The file could not be read.
    #[error("cannot read intent catalogue {}: {source}", path.display())]
    Read {
        /// The path that was tried.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The text is not TOML of the catalogue's layout (the message has the line).
    #[error("intent catalogue {origin} cannot be decoded: {source}")]
    Syntax {
        /// Where the text came from.
        origin: String,
        /// The decoder's message.
        source: Box<toml::de::Error>,
    },
    /// The layout is right but the content is not: every problem found is listed.
    #[error("intent catalogue {origin} is invalid: {problems}")]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// Everything wrong with it.
        problems: Problems,
    },
}

impl CatalogueError {
    /// The content problems, empty for read and decoding errors.
    pub fn problems(&self) -> &[Problem] {
        match self {
            CatalogueError::Invalid { problems, .. } => &problems.0,
            _ => &[],
        }
    }
}

/// Every problem of an invalid catalogue, shown separated by `; `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl Catalogue {
    /// Reads and validates a catalogue file.
    pub fn load(path: impl AsRef<Path>) -> Result<Catalogue, CatalogueError> {
        let path = path.as_ref();
        let bytes = read_catalogue(path)?;
        Catalogue::parse(
            &String::from_utf8_lossy(&bytes),
            &path.display().to_string(),
        )
    }

    /// Validates catalogue text; `origin` names it in errors (a path or a label).
    pub fn parse(text: &str, origin: &str) -> Result<Catalogue, CatalogueError> {
        let raw = toml::from_str(text).map_err(|source| CatalogueError::Syntax {
            origin: origin.to_owned(),
            source: Box::new(source),
        })?;
        validate::validate(raw, origin).map_err(|problems| CatalogueError::Invalid {
            origin: origin.to_owned(),
            problems: Problems(problems),
        })
    }

    /// The catalogue that ships with bot-service.
    pub fn load_default() -> Result<Catalogue, CatalogueError> {
        Catalogue::load(DEFAULT_CATALOGUE_PATH)
    }
}
