/**
 * Not API: the built-in call service every object server serves under
 * {@link io.objectbroker.internal.calls.CallService#OBJECT_ID}, for batches and long calls,
 * and the values it carries. Clients use it through {@code RemoteObject.batch()},
 * {@code RemoteObject.submit(...)} and {@code Broker.fetch(...)}.
 */
package io.objectbroker.internal.calls;
