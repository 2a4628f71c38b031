//! One error type for the whole pipeline. Every variant names the file it is
//! about and, where there is one, the line, so a build.rs failure or a CLI
//! error reads `path:line: what was expected`.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub enum Error {
    /// A page could not be read as a UCWA reference page.
    Page {
        file: PathBuf,
        line: usize,
        message: String,
    },
    /// A schema YAML file is malformed or of the wrong shape.
    Schema {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// An overrides file is malformed or names something that does not exist.
    Override {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// Reading or writing a file failed.
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    /// The schema as a whole cannot be generated (e.g. two documents claim one name).
    Generate { file: PathBuf, message: String },
    /// Writing was refused to keep files ucwa-codegen did not write (or a
    /// directory it does not own); the message says what to do instead.
    Refused { file: PathBuf, message: String },
    /// Several independent errors, each naming its own file: every page or
    /// schema file that failed, every file a write would clobber. Never empty.
    Several(Vec<Error>),
}

impl Error {
    pub fn page(file: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Error {
        Error::Page {
            file: file.into(),
            line,
            message: message.into(),
        }
    }

    pub fn io(file: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            file: file.into(),
            source,
        }
    }

    pub fn schema_yaml(file: impl Into<PathBuf>, error: &serde_yaml::Error) -> Error {
        Error::Schema {
            file: file.into(),
            line: error.location().map(|l| l.line()),
            message: error.to_string(),
        }
    }

    /// One error for all of `errors`: itself when there is one.
    ///
    /// # Panics
    /// When `errors` is empty.
    pub fn several(mut errors: Vec<Error>) -> Error {
        assert!(!errors.is_empty(), "Error::several needs an error");
        if errors.len() == 1 {
            errors.remove(0)
        } else {
            Error::Several(errors)
        }
    }

    /// The single errors, owned: this one, or every one of [`Error::Several`].
    pub fn into_each(self) -> Vec<Error> {
        match self {
            Error::Several(errors) => errors.into_iter().flat_map(Error::into_each).collect(),
            single => vec![single],
        }
    }

    /// The emitter reports whole-schema errors against the placeholder path
    /// `schema`: name the input really read instead.
    pub(crate) fn naming(self, input: &Path) -> Error {
        match self {
            Error::Generate { file, message } if file == Path::new("schema") => Error::Generate {
                file: input.to_path_buf(),
                message,
            },
            other => other,
        }
    }

    /// Each single error: this one, or every one of [`Error::Several`].
    pub fn each(&self) -> Vec<&Error> {
        match self {
            Error::Several(errors) => errors.iter().flat_map(Error::each).collect(),
            single => vec![single],
        }
    }

    /// The file the (first) error is about.
    pub fn file(&self) -> &Path {
        match self {
            Error::Page { file, .. }
            | Error::Schema { file, .. }
            | Error::Override { file, .. }
            | Error::Io { file, .. }
            | Error::Generate { file, .. }
            | Error::Refused { file, .. } => file,
            Error::Several(errors) => errors.first().map_or(Path::new(""), Error::file),
        }
    }

    pub fn line(&self) -> Option<usize> {
        match self {
            Error::Page { line, .. } => Some(*line),
            Error::Schema { line, .. } | Error::Override { line, .. } => *line,
            Error::Io { .. } | Error::Generate { .. } | Error::Refused { .. } => None,
            Error::Several(errors) => errors.first().and_then(Error::line),
        }
    }
}

/// `file:line: message`; [`Error::Several`] shows one such line per error.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Error::Several(errors) = self {
            for (index, error) in errors.iter().enumerate() {
                let separator = if index == 0 { "" } else { "\n" };
                write!(f, "{separator}{error}")?;
            }
            return Ok(());
        }
        write!(f, "{}", self.file().display())?;
        if let Some(line) = self.line() {
            write!(f, ":{line}")?;
        }
        match self {
            Error::Page { message, .. }
            | Error::Schema { message, .. }
            | Error::Override { message, .. }
            | Error::Generate { message, .. }
            | Error::Refused { message, .. } => write!(f, ": {message}"),
            Error::Io { source, .. } => write!(f, ": {source}"),
            Error::Several(_) => Ok(()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Something worth telling the user that does not stop the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: warning: {}",
            self.file.display(),
            self.line,
            self.message
        )
    }
}
