//! Every id and reference in every honeydesk message is checked as it is decoded: at
//! most [`MAX_ID_BYTES`] bytes of printable ASCII without spaces. The generated clients
//! and servers use [`CheckedCodec`], prost's codec plus that check, so an over-long or
//! malformed id is answered INVALID_ARGUMENT before any handler runs, and the message
//! names the field but never repeats the value (a 1 MB id is not echoed back). The
//! `impl CheckIds` of each message is generated from the descriptors (`build_ids.rs`).

use std::marker::PhantomData;

use prost::Message;
use tonic::{
    Status,
    codec::{BufferSettings, Codec, DecodeBuf, Decoder},
};
use tonic_prost::{ProstDecoder, ProstEncoder};

/// The longest id or reference accepted, in bytes (a UUID is 36).
pub const MAX_ID_BYTES: usize = 128;

/// A message whose ids and references can be checked.
pub trait CheckIds {
    /// The first id or reference that breaks the rules, if any.
    fn check_ids(&self) -> Result<(), IdError>;
}

/// What is wrong with an id; names the field, never holds the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Longer than [`MAX_ID_BYTES`].
    #[error(
        "{message}.{field}: is {len} bytes long; ids and references are at most {MAX_ID_BYTES}"
    )]
    TooLong {
        /// The message type.
        message: &'static str,
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// Holds a space, a control character or anything outside printable ASCII.
    #[error(
        "{message}.{field}: ids and references are printable ASCII without spaces (letters, digits, - _ . : and the like)"
    )]
    Malformed {
        /// The message type.
        message: &'static str,
        /// The field.
        field: &'static str,
    },
}

impl From<IdError> for Status {
    fn from(e: IdError) -> Self {
        Status::invalid_argument(e.to_string())
    }
}

/// Checks one id: empty is left to the handler (which knows whether it is required).
pub fn check_id(message: &'static str, field: &'static str, value: &str) -> Result<(), IdError> {
    if value.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong {
            message,
            field,
            len: value.len(),
        });
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(IdError::Malformed { message, field });
    }
    Ok(())
}

/// prost's codec, with every decoded message's ids checked.
#[derive(Debug, Clone)]
pub struct CheckedCodec<T, U> {
    _pd: PhantomData<(T, U)>,
}

impl<T, U> Default for CheckedCodec<T, U> {
    fn default() -> Self {
        Self { _pd: PhantomData }
    }
}

impl<T, U> Codec for CheckedCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + CheckIds + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = CheckedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        CheckedDecoder {
            inner: ProstDecoder::default(),
        }
    }
}

/// prost's decoder followed by [`CheckIds`].
#[derive(Debug)]
pub struct CheckedDecoder<U> {
    inner: ProstDecoder<U>,
}

impl<U: Message + Default + CheckIds> Decoder for CheckedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        let item = self.inner.decode(buf)?;
        if let Some(message) = &item {
            message.check_ids()?;
        }
        Ok(item)
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.inner.buffer_settings()
    }
}

include!(concat!(env!("OUT_DIR"), "/honeydesk_ids.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::v1::SendMessageRequest;

    #[test]
    fn ids_are_bounded_printable_and_never_echoed() {
        let mut m = SendMessageRequest {
            session_id: "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
            client_message_id: "m1".into(),
            text: "any text at all, 随便".into(),
        };
        assert_eq!(m.check_ids(), Ok(()));
        m.session_id = "x".repeat(1 << 20);
        let e = m.check_ids().unwrap_err();
        assert!(e.to_string().starts_with("SendMessageRequest.session_id"));
        assert!(e.to_string().len() < 200);
        m.session_id = "a b".into();
        assert!(matches!(m.check_ids(), Err(IdError::Malformed { .. })));
        m.session_id = "会话".into();
        assert!(matches!(m.check_ids(), Err(IdError::Malformed { .. })));
    }

    #[test]
    fn oneof_and_nested_ids_are_checked_too() {
        use crate::agent::v1::{TransferTicketRequest, transfer_ticket_request::Target};
        let m = TransferTicketRequest {
            ticket_id: "t-1".into(),
            target: Some(Target::AgentId("\u{200b}".into())),
            note: String::new(),
        };
        assert!(matches!(
            m.check_ids(),
            Err(IdError::Malformed {
                field: "agent_id",
                ..
            })
        ));
    }
}
