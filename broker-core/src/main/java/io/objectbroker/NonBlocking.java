package io.objectbroker;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a {@link Remote} interface that never blocks and returns quickly (a
 * lookup in memory, a computation): the server runs it on the I/O thread that read the call
 * instead of handing it to a worker and the answer back, which saves two thread hand-offs per
 * call (gRPC's {@code directExecutor()}). A method that blocks or runs long while so marked
 * stalls every connection served by that I/O thread: leave such methods unmarked, and they run
 * on the bounded worker pool. A call whose payload is larger than 16 KiB runs on the worker
 * pool even so: decoding its arguments would hold the I/O thread.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface NonBlocking {}
