package io.objectbroker;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a {@link Remote} interface that may safely run twice. When the connection
 * breaks after such a call was sent, the client sends it again on a new connection; a call not
 * so marked is retried only when it was never sent, and otherwise fails with
 * {@link ConnectionClosedException}, since the server may or may not have run it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Idempotent {}
