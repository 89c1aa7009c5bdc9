//! Raw gRPC calls for hostile-input tests: sends any bytes as a method's request body
//! (garbage, invalid UTF-8 in a `string`, truncated frames) over a real channel, and
//! returns the status the server answered.

use bytes::{Buf, BufMut};
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    transport::Channel,
};

use crate::testing::authed;

/// A codec that passes bytes through untouched in both directions.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// Calls the unary `method` (`/package.Service/Method`) with `body` as the encoded
/// request and `token` as the bearer token; the answer's bytes or its status.
pub async fn call(
    channel: Channel,
    method: &str,
    token: &str,
    body: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let mut grpc = ready(channel).await?;
    grpc.unary(authed(body, token), path(method)?, RawCodec)
        .await
        .map(|r| r.into_inner())
}

/// Calls `method` with `body` and an optional token, as a unary or a server-streaming
/// call; `Ok` when the call was answered (or the stream opened), else its status.
pub async fn open(
    channel: Channel,
    method: &str,
    token: Option<&str>,
    streaming: bool,
    body: Vec<u8>,
) -> Result<(), Status> {
    let mut grpc = ready(channel).await?;
    let request = match token {
        Some(token) => authed(body, token),
        None => tonic::Request::new(body),
    };
    if streaming {
        grpc.server_streaming(request, path(method)?, RawCodec)
            .await
            .map(drop)
    } else {
        grpc.unary(request, path(method)?, RawCodec).await.map(drop)
    }
}

async fn ready(channel: Channel) -> Result<tonic::client::Grpc<Channel>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    Ok(grpc)
}

fn path(method: &str) -> Result<PathAndQuery, Status> {
    PathAndQuery::try_from(method.to_owned())
        .map_err(|e| Status::invalid_argument(format!("method path: {e}")))
}

/// A protobuf field `number` of wire type LEN carrying `bytes` (which need not be
/// UTF-8): lets a test put invalid UTF-8 where a `string` is expected.
pub fn len_field(number: u8, bytes: &[u8]) -> Vec<u8> {
    assert!(
        number < 16 && bytes.len() < 128,
        "a one-byte tag and length"
    );
    let mut out = vec![(number << 3) | 2, bytes.len() as u8];
    out.extend_from_slice(bytes);
    out
}
