/**
 * The provisioning service itself: {@code MainServer} checks names, serializes changes and
 * drives the image store and the export layer of {@code io.objectbroker.provisioning.backend}.
 */
package io.objectbroker.provisioning.server;
