/**
 * The journal of a node's engine inputs, so that any decision can be replayed.
 *
 * <p>A journal is a directory of segment files ({@code journal-<sequence>.jsonl}, JSON lines). A segment starts
 * with a header ({@link org.tandemha.core.journal.JournalHeader}: format, cluster, node, start time, the wall time
 * at engine time 0, the configuration fingerprint and the engine snapshot the segment starts from) and then holds
 * one line per handled input: its engine time, the input ({@link org.tandemha.core.journal.InputCodec}) and a
 * digest of the actions the engine returned ({@link org.tandemha.core.journal.ActionDigest}).
 * {@link org.tandemha.core.journal.Journal} writes it (bounded, never blocking the engine),
 * {@link org.tandemha.core.journal.JournalReader} reads it, {@link org.tandemha.core.journal.Replay} runs a
 * segment through an engine again and compares the decisions, {@link org.tandemha.core.journal.JournalTool}
 * prints it.
 */
package org.tandemha.core.journal;
