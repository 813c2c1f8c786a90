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
use crate::state::State;
use crate::write::commit::{CommitOutcome, CommitRequest};
use crate::write::register::{self, RegisterRequest};

/// How an answer to request `id` of `op` is written: within the frame limit.
struct Reply<'r> {
    id: u64,
    op: &'r str,
    max: usize,
}

impl Reply<'_> {
    /// The frame answering `result`; an answer larger than the limit is refused with
    /// `limit`, saying how to ask for less.
    fn to(&self, result: Result<Fields<'_>, ServerError>) -> Vec<u8> {
        let error = match result.map(|fields| answer::success_within(self.id, &fields, self.max)) {
            Ok(Ok(frame)) => return frame,
            Ok(Err(too_large)) => too_large.error(self.op, self.max),
            Err(error) => error,
        };
        answer::failure(Some(self.id), &error)
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
    let reply = Reply {
        id,
        op,
        max: ctx.limits.frame_bytes_max as usize,
    };
    let request = Node::root(frame, op);
    match op {
        ops::COMMIT => match commit(ctx, &request).await {
            Ok(outcome) => reply.to(Ok(outcome.fields())),
            Err(error) => reply.to(Err(error)),
        },
        ops::REGISTER => reply.to(register(ctx, &request).await),
        ops::QUERY => match Query::parse(&request) {
            Ok(query) => read(ctx, |state| {
                reply.to(run::run(state, &query, ctx.limits.rows_max))
            }),
            Err(error) => reply.to(Err(error)),
        },
        ops::STATS => read(ctx, |state| reply.to(Ok(admin_ops::stats(ctx, state)))),
        ops::SNAPSHOT => reply.to(admin_ops::snapshot(ctx).await),
        _ => match ReadOp::parse(op, &request) {
            Ok(Some(read_op)) => read(ctx, |state| reply.to(read_op.answer(ctx, state))),
            Ok(None) => reply.to(Err(ServerError::new(
                resident_protocol::error_code::UNKNOWN_OP,
                format!("unknown op {op:?}"),
            ))),
            Err(error) => reply.to(Err(error)),
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

/// A dry run only reads, and a register that changes nothing needs no writer: both are
/// answered from the published state, so they never wait for the writer, nor fail with
/// it (the extension registers before its first read, and reads go on when writes fail).
async fn register(ctx: &Context, request: &Node<'_>) -> Result<Fields<'static>, ServerError> {
    let request = RegisterRequest::parse(request)?;
    let published = ctx.published.load_full();
    if request.dry_run {
        return Ok(register::dry_run(&published, &request.part));
    }
    if let Some(outcome) = register::unchanged(&published, &request.part) {
        return Ok(outcome.fields());
    }
    Ok(ctx.writer.register(request.part).await?.fields())
}

/// The answer `respond` encodes from the published state. An owned snapshot of it: a
/// long `all` must not pin arc-swap's per-thread slots. Answers borrow the entities'
/// bytes from it, so they are encoded while it is held.
fn read(ctx: &Context, respond: impl FnOnce(&State) -> Vec<u8>) -> Vec<u8> {
    let state = ctx.published.load_full();
    respond(&state)
}
