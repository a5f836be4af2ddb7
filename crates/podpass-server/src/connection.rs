//! Limits on a client connection's silences, below HTTP.
//!
//! hyper bounds how long a request's headers may take, counted from the previous answer on a
//! kept-alive connection, but a new connection that sends nothing at all is held open until
//! the client hangs up: the protocol detection in front of hyper's timer has no clock.
//! Thousands of such connections cost nothing to open and would each hold a file descriptor
//! until the process runs out. Go's server (so Vault) closes them after
//! `http_read_header_timeout`.
//!
//! [`SilenceLimitAcceptor`] wraps every accepted stream, under TLS as well, so that a read
//! which waits longer than the limit fails and hyper closes the connection; so does a write,
//! for a client that stops reading. Any bytes in either direction count as activity and
//! restart the clock.

use std::future::{Future, Ready};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// How long a connection may stay silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionTimeouts {
    /// From accepting a connection to its first byte, and (hyper's own timer) for a request's
    /// headers counted from the connection's start or the previous answer.
    pub read_header: Duration,
    /// Any later silence in the middle of an exchange: a request body that stops arriving, an
    /// answer the client stops reading. Longer than the longest request
    /// ([`crate::server::REQUEST_TIMEOUT`]), since hyper may wait on a read while a request is
    /// being answered.
    pub stall: Duration,
}

impl Default for ConnectionTimeouts {
    /// 30 s for headers (hyper's default, kept so kept-alive connections live as long as they
    /// did; Vault's is 10 s) and two minutes for a stall.
    fn default() -> ConnectionTimeouts {
        ConnectionTimeouts {
            read_header: Duration::from_secs(30),
            stall: Duration::from_secs(120),
        }
    }
}

/// An acceptor (for axum-server) that puts every accepted stream under
/// [`ConnectionTimeouts`]; wrap it in the TLS acceptor so the handshake is covered too.
#[derive(Debug, Clone, Copy)]
pub struct SilenceLimitAcceptor {
    timeouts: ConnectionTimeouts,
}

impl SilenceLimitAcceptor {
    /// An acceptor applying `timeouts`.
    pub fn new(timeouts: ConnectionTimeouts) -> SilenceLimitAcceptor {
        SilenceLimitAcceptor { timeouts }
    }
}

impl<I, S> Accept<I, S> for SilenceLimitAcceptor {
    type Stream = SilenceLimited<I>;
    type Service = S;
    type Future = Ready<io::Result<(SilenceLimited<I>, S)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        std::future::ready(Ok((SilenceLimited::new(stream, self.timeouts), service)))
    }
}

/// A stream whose reads fail with [`io::ErrorKind::TimedOut`] after a silence longer than
/// its limit.
#[derive(Debug)]
pub struct SilenceLimited<I> {
    inner: I,
    timeouts: ConnectionTimeouts,
    /// Whether the client has sent anything yet: before, the shorter header limit applies.
    heard_from: bool,
    deadline: Pin<Box<Sleep>>,
}

impl<I> SilenceLimited<I> {
    fn new(inner: I, timeouts: ConnectionTimeouts) -> SilenceLimited<I> {
        SilenceLimited {
            inner,
            timeouts,
            heard_from: false,
            deadline: Box::pin(tokio::time::sleep(timeouts.read_header)),
        }
    }

    fn active(&mut self) {
        let limit = if self.heard_from {
            self.timeouts.stall
        } else {
            self.timeouts.read_header
        };
        self.deadline.as_mut().reset(Instant::now() + limit);
    }
}

impl<I> SilenceLimited<I> {
    /// Counts a write as activity; a client that stops reading our answer is silent too.
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(n)) if n > 0 => {
                self.active();
                Poll::Ready(Ok(n))
            }
            Poll::Pending => self.silence(cx).map(Err),
            other => other,
        }
    }

    /// Ready with the error once the silence has lasted past the deadline.
    fn silence(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        self.deadline.as_mut().poll(cx).map(|()| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection stayed silent too long",
            )
        })
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for SilenceLimited<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.heard_from = true;
                    self.active();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => self.silence(cx).map(Err),
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for SilenceLimited<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.after_write(cx, written)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.after_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
