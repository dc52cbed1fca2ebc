/**
 * Not API: the broker's internals, shared by its own modules. Anything here may change
 * without notice; use {@code io.objectbroker.client}, {@code io.objectbroker.server} and
 * {@code io.objectbroker.naming} instead.
 */
package io.objectbroker.internal;
