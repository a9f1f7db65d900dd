import type { DatabaseConfig } from '../../../common/src/config';
import { openSqlDatabase } from '../../../common/src/sql/database';
import type {
  ConflictStats,
  PoolStats,
  SqlDatabase,
  SqlParam,
  SqlRow,
  SqlTransaction,
  Statement,
  StatementResult,
} from '../../../common/src/sql/types';

/**
 * A real database whose connections the test can close (every call then fails as the
 * database being unavailable) and open again: an outage and its end, on either database.
 */
export class SwitchableDatabase implements SqlDatabase {
  private current: SqlDatabase;

  constructor(private readonly config: DatabaseConfig) {
    this.current = openSqlDatabase(config);
  }

  get dialect() {
    return this.current.dialect;
  }

  async goDown(): Promise<void> {
    await this.current.close();
  }

  comeBack(): void {
    this.current = openSqlDatabase(this.config);
  }

  query(sql: string, params: readonly SqlParam[]): Promise<SqlRow[]> {
    return this.current.query(sql, params);
  }

  execute(sql: string, params: readonly SqlParam[]): Promise<number> {
    return this.current.execute(sql, params);
  }

  batch(statements: readonly Statement[]): Promise<StatementResult[]> {
    return this.current.batch(statements);
  }

  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.current.transaction(work);
  }

  conflicts(): ConflictStats {
    return this.current.conflicts();
  }

  ping(): Promise<boolean> {
    return this.current.ping();
  }

  pool(): PoolStats {
    return this.current.pool();
  }

  close(): Promise<void> {
    return this.current.close();
  }
}
