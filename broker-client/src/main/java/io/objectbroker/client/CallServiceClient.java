package io.objectbroker.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.objectbroker.Uri;
import io.objectbroker.internal.calls.CallOutcome;
import io.objectbroker.internal.calls.CallService;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.KryoCodec.RemoteError;
import java.lang.reflect.Method;
import java.util.function.Function;

/**
 * Calls the built-in {@link CallService} of the server that hosts an object, for batches and
 * long calls on that object, and reads the outcomes it answers.
 */
final class CallServiceClient {

  private final Uri target;
  private final CallOptions options;
  private final Invoker invoker;
  private final KryoCodec codec;

  /** @param target the object the batches and long calls are for, as the user gave it */
  CallServiceClient(Uri target, CallOptions options, Invoker invoker) {
    this.target = target;
    this.options = options;
    this.invoker = invoker;
    this.codec = invoker.codec();
    // Idempotent: the outcome types, and UnknownCallException, become known to this broker.
    codec.register(CallService.class);
  }

  Uri target() {
    return target;
  }

  CallOptions options() {
    return options;
  }

  /**
   * Calls {@code method} of the call service on the target's server, with the arguments
   * {@code args} makes from the target's object id (resolved from its name if need be).
   *
   * @param what how messages name the call, e.g. "batch of 3 calls to calc"
   */
  Object call(String method, String what, Function<String, Object[]> args) {
    Uri direct = invoker.direct(target);
    Uri service = Uri.direct(CallService.OBJECT_ID, direct.address().orElseThrow());
    return invoker.invoke(service, null, method, args.apply(direct.id()), options, what, null);
  }

  /** The value of an {@link CallOutcome.State#OK} outcome. */
  Object value(CallOutcome outcome) {
    ByteBuf payload = Unpooled.wrappedBuffer(outcome.payload());
    try {
      return codec.decodeResult(payload);
    } finally {
      payload.release();
    }
  }

  /** Registers the types a remote interface's methods carry, for calls through it. */
  void register(Class<?> remoteInterface) {
    codec.register(remoteInterface);
  }

  /**
   * The exception of a {@link CallOutcome.State#FAILED} outcome, as a single call's.
   *
   * @param declared the interface method called, whose checked exceptions may be rebuilt as
   *     themselves; null for a call by name
   */
  Throwable error(CallOutcome outcome, String what, Method declared) {
    RemoteError error;
    ByteBuf payload = Unpooled.wrappedBuffer(outcome.payload());
    try {
      error = codec.decodeError(payload);
    } finally {
      payload.release();
    }
    return Failures.rebuild(codec, error, target, what, declared);
  }
}
