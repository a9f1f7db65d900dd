import type { SqlDatabase } from '../../../common/src/sql/types';

/**
 * Makes MariaDB answer the next `times` inserts into `sessions` as a write conflict
 * (errno 1213, SQLSTATE 40001, as a deadlock victim or a Galera certification failure
 * is answered). The count lives in a MyISAM table, which a rollback does not undo, so it
 * also tells how many times the service tried.
 */
export async function conflictOnSessionInsert(
  db: SqlDatabase,
  times: number,
): Promise<{ remaining(): Promise<number>; remove(): Promise<void> }> {
  await db.batch([
    { sql: 'create table conflict_budget (remaining int not null) engine = MyISAM', params: [] },
    { sql: 'insert into conflict_budget (remaining) values (?)', params: [times] },
    {
      sql: `create trigger sessions_conflict before insert on sessions for each row
            begin
              update conflict_budget set remaining = remaining - 1;
              if (select remaining from conflict_budget) >= 0 then
                signal sqlstate '40001' set mysql_errno = 1213,
                  message_text = 'Deadlock found when trying to get lock; try restarting transaction';
              end if;
            end`,
      params: [],
    },
  ]);
  return {
    async remaining() {
      const [row] = await db.query('select remaining from conflict_budget', []);
      return Number(row?.remaining);
    },
    async remove() {
      await db.batch([
        { sql: 'drop trigger sessions_conflict', params: [] },
        { sql: 'drop table conflict_budget', params: [] },
      ]);
    },
  };
}
