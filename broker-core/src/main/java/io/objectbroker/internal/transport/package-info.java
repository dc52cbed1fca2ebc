/** Not API: connections that carry calls in both directions over Netty channels. */
package io.objectbroker.internal.transport;
