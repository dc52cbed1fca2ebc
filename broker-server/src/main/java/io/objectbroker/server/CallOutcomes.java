package io.objectbroker.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.objectbroker.SerializationException;
import io.objectbroker.internal.calls.CallOutcome;
import io.objectbroker.CallInterceptor;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.dispatch.Hooks;
import io.objectbroker.internal.protocol.KryoCodec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/** Runs one call of a batch or a long call, and serializes how it turned out. */
final class CallOutcomes {

  // Heap buffers: each payload is copied into a byte[] at once and released.
  private static final ByteBufAllocator HEAP = new UnpooledByteBufAllocator(false);

  private CallOutcomes() {}

  /**
   * Calls {@code method(args)} on {@code target}, which must be one of its exposed methods;
   * whatever it throws becomes a failed outcome.
   */
  static CallOutcome invoke(KryoCodec codec, ExposedObject target, Method method, Object[] args) {
    return invoke(codec, target, method, args, Hooks.NONE, null, false);
  }

  /**
   * Runs the call between the server's hooks, as a call on its own would: a hook may refuse
   * it, and they see its duration and outcome.
   *
   * @param call the call as the hooks see it; null for none
   * @param before whether to run the before hooks (false: they ran when the call came)
   */
  static CallOutcome invoke(KryoCodec codec, ExposedObject target, Method method, Object[] args,
      Hooks hooks, CallInterceptor.Call call, boolean before) {
    if (call != null && before) {
      try {
        hooks.before(call);
      } catch (RuntimeException e) {
        return failed(codec, e);
      }
    }
    long started = System.nanoTime();
    Object value = null;
    Throwable error = null;
    try {
      value = method.invoke(target.target(), args);
    } catch (InvocationTargetException e) {
      error = e.getCause();
    } catch (IllegalAccessException e) {
      error = new IllegalStateException("cannot call " + target.id() + "." + method.getName()
          + ": " + e);
    } catch (RuntimeException | Error e) {
      error = e;
    }
    if (call != null) {
      hooks.after(call, started, error);
    }
    return error != null ? failed(codec, error) : ok(codec, value);
  }

  /** A successful outcome; a value that cannot be serialized makes a failed one instead. */
  static CallOutcome ok(KryoCodec codec, Object value) {
    ByteBuf payload;
    try {
      payload = codec.encodeResult(HEAP, value);
    } catch (SerializationException e) {
      return failed(codec, e);
    }
    try {
      return new CallOutcome(CallOutcome.State.OK, ByteBufUtil.getBytes(payload));
    } finally {
      payload.release();
    }
  }

  /** A failed outcome: the exception's class name, message and stack trace. */
  static CallOutcome failed(KryoCodec codec, Throwable error) {
    ByteBuf payload = codec.encodeError(HEAP, error);
    try {
      return new CallOutcome(CallOutcome.State.FAILED, ByteBufUtil.getBytes(payload));
    } finally {
      payload.release();
    }
  }
}
