package io.objectbroker;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an interface whose methods may be called remotely.
 *
 * <p>An object server exposes only the methods of the {@code @Remote} interfaces an object
 * implements; every other method of the object, public or not, is unreachable from the network.
 * A client proxy can only be made for a {@code @Remote} interface.
 *
 * <p>The types that appear in a remote interface's method signatures (parameters, return
 * types, their generic arguments and record components, and declared exceptions) are
 * registered for serialization automatically on both sides.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Remote {}
