/**
 * Not API: where a node's bytes live. {@code FileImageStore} keeps images, snapshots and node
 * disks as qcow2 layers (or raw files) in the data folder, {@code TgtExportLayer} exports node
 * disks as iSCSI targets through tgtd, and {@code QemuDiskServer} serves a qcow2 disk's guest
 * bytes as a file for tgt; every external command goes through {@code Command}.
 */
package io.objectbroker.provisioning.backend;
