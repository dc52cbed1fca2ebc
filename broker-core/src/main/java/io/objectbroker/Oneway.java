package io.objectbroker;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code void} method of a {@link Remote} interface as oneway: the caller sends the
 * call and returns at once, without an answer, so it learns of no result and no exception. The
 * server runs oneway calls on its worker pool, one after another in the order each connection
 * sent them, unless {@link #ordered()} is false; a oneway call that fails is logged on the
 * server.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Oneway {

  /** Whether the calls of one connection run in the order sent (one at a time). */
  boolean ordered() default true;
}
