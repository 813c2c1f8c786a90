//! Answers one request: reads its `id` and `op`, and hands the request to the file of
//! its operation, which parses the rest and runs it.
//!
//! Reads never wait on the writer: they load the latest published state, which only
//! ever holds durable writes.

use resident_protocol::{op as ops, Value};

use crate::cbor::answer::{self, Fields};
use crate::cbor::node::Node;
use crate::error::ServerError;
use crate::net::admin_ops;
use crate::net::context::Context;
use crate::net::read_ops::ReadOp;
use crate::query::parse::Query;
use crate::query::run;
use crate::state::schema::SchemaPart;
use crate::state::State;
use crate::write::commit::{CommitOutcome, CommitRequest};
use crate::write::register::RegisterOutcome;

/// The frame answering `result`.
fn answer(id: u64, result: Result<Fields<'_>, ServerError>) -> Vec<u8> {
    match result {
        Ok(fields) => answer::success(id, &fields),
        Err(error) => answer::failure(Some(id), &error),
    }
}

/// Answers one decoded frame (a map) with the frame to send back.
pub async fn handle(ctx: &Context, frame: &Value) -> Vec<u8> {
    let root = Node::root(frame, "request");
    let id = match request_id(&root) {
        Ok(id) => id,
        Err(error) => return answer::failure(None, &error),
    };
    let op = match root.text("op") {
        Ok(op) => op,
        Err(error) => return answer::failure(Some(id), &error),
    };
    let request = Node::root(frame, op);
    match op {
        ops::COMMIT => match commit(ctx, &request).await {
            Ok(outcome) => answer(id, Ok(outcome.fields())),
            Err(error) => answer(id, Err(error)),
        },
        ops::REGISTER => answer(id, register(ctx, &request).await.map(|o| o.fields())),
        ops::QUERY => match Query::parse(&request) {
            Ok(query) => read(ctx, |state| {
                answer(id, run::run(state, &query, ctx.limits.rows_max))
            }),
            Err(error) => answer(id, Err(error)),
        },
        ops::STATS => read(ctx, |state| answer(id, Ok(admin_ops::stats(ctx, state)))),
        ops::SNAPSHOT => answer(id, admin_ops::snapshot(ctx).await),
        _ => match ReadOp::parse(op, &request) {
            Ok(Some(read_op)) => read(ctx, |state| answer(id, read_op.answer(ctx, state))),
            Ok(None) => answer(
                id,
                Err(ServerError::new(
                    resident_protocol::error_code::UNKNOWN_OP,
                    format!("unknown op {op:?}"),
                )),
            ),
            Err(error) => answer(id, Err(error)),
        },
    }
}

fn request_id(root: &Node<'_>) -> Result<u64, ServerError> {
    match root.get("id")? {
        Some(node) => node.as_u64(),
        None => Err(ServerError::bad_request("request: id is missing")),
    }
}

async fn commit(ctx: &Context, request: &Node<'_>) -> Result<CommitOutcome, ServerError> {
    let request = CommitRequest::parse(
        request,
        ctx.limits.events_per_commit_max,
        ctx.limits.frame_bytes_max as usize,
    )?;
    ctx.writer.commit(request).await
}

async fn register(ctx: &Context, request: &Node<'_>) -> Result<RegisterOutcome, ServerError> {
    let part = SchemaPart::parse(request)?;
    ctx.writer.register(part).await
}

/// The answer `respond` encodes from the published state. An owned snapshot of it: a
/// long `all` must not pin arc-swap's per-thread slots. Answers borrow the entities'
/// bytes from it, so they are encoded while it is held.
fn read(ctx: &Context, respond: impl FnOnce(&State) -> Vec<u8>) -> Vec<u8> {
    let state = ctx.published.load_full();
    respond(&state)
}
